import { z } from 'zod';

/** What the offline classifier scores (features/safety/classifier), each 0..1. */
export const SafetyLabel = z.enum(['harassment', 'sexual_harassment', 'grooming', 'threat', 'hate']);
export type SafetyLabel = z.infer<typeof SafetyLabel>;

export const SafetyScores = z.record(SafetyLabel, z.number().min(0).max(1));
export type SafetyScores = z.infer<typeof SafetyScores>;

/** Which messages are scanned: conversations that include a minor (the default), all, or none. */
export const SafetyScanPolicy = z.enum(['minors', 'all', 'none']);
export type SafetyScanPolicy = z.infer<typeof SafetyScanPolicy>;

/** What a person reports something as. */
export const ReportCategory = z.enum(['harassment', 'child_sexual_content', 'spam', 'threat', 'other']);
export type ReportCategory = z.infer<typeof ReportCategory>;

export const ReportStatus = z.enum(['open', 'resolved', 'dismissed']);
export type ReportStatus = z.infer<typeof ReportStatus>;

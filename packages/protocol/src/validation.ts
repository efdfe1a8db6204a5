import { z } from 'zod';
import type { FieldErrorCode, FieldProblem } from './errors';

/**
 * Messages a person can act on, for every schema in the contract. Installed once, globally,
 * when the protocol package loads, so server and clients word validation problems the same.
 */
z.config({
  customError: (issue) => {
    switch (issue.code) {
      case 'invalid_type':
        return issue.input === undefined ? 'This field is required' : `Must be ${article(issue.expected)}`;
      case 'too_small':
        if (issue.origin === 'string') return `Must be at least ${plural(issue.minimum, 'character')} long`;
        if (issue.origin === 'array') return `Must have at least ${plural(issue.minimum, 'item')}`;
        return `Must be at least ${issue.minimum}`;
      case 'too_big':
        if (issue.origin === 'string') return `Must be at most ${plural(issue.maximum, 'character')} long`;
        if (issue.origin === 'array') return `Must have at most ${plural(issue.maximum, 'item')}`;
        return `Must be at most ${issue.maximum}`;
      case 'invalid_format':
        return issue.format === 'email' ? 'Must be a valid e-mail address' : undefined;
      case 'invalid_value':
        return `Must be one of: ${issue.values.map(String).join(', ')}`;
      default:
        return undefined;
    }
  },
});

function plural(count: number | bigint, noun: string): string {
  return `${count} ${noun}${count === 1 || count === 1n ? '' : 's'}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * Maps zod issues to field problems with Discord's field-error codes. Parse with
 * `{ reportInput: true }` so a missing field (BASE_TYPE_REQUIRED) is told from a wrong one.
 */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], prefix: readonly string[] = []): FieldProblem[] {
  return issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p.description) : p))],
    code: fieldCodeOf(issue),
    message: issue.message,
  }));
}

function fieldCodeOf(issue: z.core.$ZodIssue): FieldErrorCode | string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'BASE_TYPE_REQUIRED' : 'BASE_TYPE_INVALID';
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint' ? 'NUMBER_TYPE_MIN' : 'BASE_TYPE_MIN_LENGTH';
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint' ? 'NUMBER_TYPE_MAX' : 'BASE_TYPE_MAX_LENGTH';
    case 'invalid_format':
      return issue.format === 'email' ? 'STRING_TYPE_EMAIL' : 'STRING_TYPE_REGEX';
    case 'invalid_value':
      return 'BASE_TYPE_CHOICES';
    case 'custom':
      return typeof issue.params?.code === 'string' ? issue.params.code : 'BASE_TYPE_INVALID';
    default:
      return 'BASE_TYPE_INVALID';
  }
}

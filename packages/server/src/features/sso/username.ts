import { Limits, Username } from '@parley/protocol';

/** What a provider told us that a username can be made from, best first. */
export interface NameSources {
  preferredUsername: string | null;
  email: string | null;
  name: string | null;
}

/**
 * Turns free text into something Username accepts: accents dropped, spaces and dashes become
 * underscores, anything else outside [a-z0-9_.] goes, periods never doubled or at the ends.
 * Null when too little is left.
 */
export function toUsername(text: string): string | null {
  const name = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
    .replace(/[^a-z0-9_.]/g, '')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._]+|[._]+$/g, '')
    .slice(0, Limits.usernameMax)
    .replace(/[._]+$/, '');
  return Username.safeParse(name).success ? name : null;
}

/** Candidate usernames from the claims, best first, each valid and distinct. */
export function usernameCandidates(sources: NameSources): string[] {
  const texts = [sources.preferredUsername, sources.email?.split('@')[0] ?? null, sources.name];
  const names = texts.map((t) => (t ? toUsername(t) : null)).filter((n): n is string => n !== null);
  return [...new Set(names)];
}

/**
 * A free username to propose: the first free candidate, else the best one (or "user") with a
 * number that makes it free. The person can still change it before the account is created.
 */
export async function proposeUsername(sources: NameSources, isFree: (name: string) => Promise<boolean>): Promise<string> {
  const candidates = usernameCandidates(sources);
  if (!candidates.length) candidates.push('user');
  for (const name of candidates) if (await isFree(name)) return name;
  const base = candidates[0]!;
  for (let attempt = 0; attempt < 20; attempt++) {
    // Small numbers first (ada2, ada3…), then random ones, so a crowded name still ends quickly.
    const suffix = String(attempt < 8 ? attempt + 2 : Math.floor(Math.random() * 1_000_000));
    const name = `${base.slice(0, Limits.usernameMax - suffix.length)}${suffix}`;
    if (Username.safeParse(name).success && (await isFree(name))) return name;
  }
  return `${base.slice(0, Limits.usernameMax - 8)}${Date.now().toString(36).slice(-8)}`;
}

import { Limits } from '@parley/protocol';

/**
 * "Firefox on Linux" from a User-Agent, for the sessions list. Deliberately small: people need
 * to recognise their devices, not a full UA database.
 */
export function describeClient(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown client';
  const ua = userAgent.slice(0, Limits.userAgentMax);
  const browser =
    match(ua, [
      [/Edg\//, 'Edge'],
      [/OPR\//, 'Opera'],
      [/Firefox\//, 'Firefox'],
      [/Chrome\/|Chromium\//, 'Chrome'],
      [/Safari\//, 'Safari'],
      [/DiscordBot|discord\.js/i, 'Bot library'],
      [/curl\//, 'curl'],
      [/node|undici/i, 'Node.js'],
      [/parley-cli/i, 'Parley CLI'],
    ]) ?? 'Unknown client';
  const os = match(ua, [
    [/Android/, 'Android'],
    [/iPhone|iPad|iPod/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ]);
  return os ? `${browser} on ${os}` : browser;
}

function match(ua: string, table: [RegExp, string][]): string | null {
  for (const [pattern, name] of table) if (pattern.test(ua)) return name;
  return null;
}

/** The invite code in whatever people paste: a bare code, or a link ending in /invite/<code>. */
export function inviteCodeFrom(input: string): string | null {
  const text = input.trim();
  const match = /(?:\/invite\/)?([A-Za-z0-9_-]{2,64})\/?$/.exec(text);
  return match ? match[1]! : null;
}

/** The link people share: opening it signs in (if needed) and joins. */
export function inviteLink(code: string): string {
  return `${location.origin}/invite/${code}`;
}

/**
 * Size limits on user input, shared by the server (which enforces them) and clients (which
 * check early so people see the problem before a round trip).
 */
export const Limits = {
  usernameMin: 2,
  usernameMax: 32,
  displayNameMax: 32,
  passwordMin: 8,
  /** argon2 cost does not grow with length, but parsing and hashing megabytes is still waste. */
  passwordMax: 256,
  emailMax: 254,
  bioMax: 190,
  customStatusMax: 128,
  inviteCodeMax: 64,
  avatarMaxBytes: 5 * 1024 * 1024,
  /** Largest accepted image, in pixels (width × height): refuses decompression bombs. */
  imageMaxPixels: 40_000_000,
  /** Ordinary JSON bodies. Routes that carry images as data URIs get their own, larger limit. */
  jsonBodyMaxBytes: 256 * 1024,
  userAgentMax: 512,
} as const;

/** Image types accepted for avatars (and, later, icons). Everything else is refused. */
export const AcceptedImageTypes = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

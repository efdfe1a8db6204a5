/** Reported by GET /api/v10/instance and the CLI. Bumped with each release. */
export const PARLEY_VERSION = '0.1.0';

/** Command-line options of parley-chat. */
export interface Args {
  server: string | null;
  /** A CA certificate (PEM) to trust for the server, e.g. its self-signed certificate. */
  ca: string | null;
  username: string | null;
  passwordStdin: boolean;
  guest: boolean;
  help: boolean;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { server: null, ca: null, username: null, passwordStdin: false, guest: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--server') args.server = argv[++i] ?? null;
    else if (arg === '--ca') args.ca = argv[++i] ?? null;
    else if (arg === '--username') args.username = argv[++i] ?? null;
    else if (arg === '--password-stdin') args.passwordStdin = true;
    else if (arg === '--guest') args.guest = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else throw new Error(`Unknown option: ${arg}`);
  }
  return args;
}

export const USAGE = `Usage: parley-chat [--server URL] [--ca FILE] [--username NAME --password-stdin | --guest]
With no sign-in option, the session saved in $XDG_CONFIG_HOME/parley/profile.json is reused, or
the username and password are asked for (an empty username continues as a guest).
--password-stdin reads the password from standard input; a second line there is the two-factor
code (otherwise it is asked for when the account has one).
Over https://, a self-signed certificate is trusted through --ca, or pinned on first use in
$XDG_CONFIG_HOME/parley/known_servers.json; a changed one is refused.`;

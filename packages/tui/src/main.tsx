import { GatewayClient, ParleyCache, RestClient, routes } from '@parley/sdk';
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { render } from 'ink';
import { App } from './App';
import { USAGE, parseArgs } from './args';
import { signIn } from './signin';
import { traceTerminalWrites } from './trace';
import { type Connections, connectionsFor } from './trust';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  // Decided once, before any token is sent: which certificate this server may present.
  let connections: Connections | null = null;
  const profile = await signIn(args, async (server) => {
    connections = await connectionsFor(server, { caFile: args.ca });
    // Said before anything is asked or sent (and again on the status line once the client runs).
    if (connections.notice) console.error(connections.notice);
    return connections.fetch;
  });
  const { fetch, WebSocket, notice } = connections!;
  const rest = new RestClient({ baseUrl: profile.server, token: profile.token, fetch });
  const { url } = await rest.request(routes.applications.gateway);
  // ws (Node 20 has no global WebSocket), trusting what the REST calls trust.
  const gateway = new GatewayClient({ url, token: profile.token, WebSocket, compress: true, inflater: (await import('@parley/sdk/node-zlib')).nodeZlibInflater });
  const cache = new ParleyCache(gateway);
  gateway.on('fatal', ({ reason }) => {
    console.error(`The server refused this session (${reason}): sign in again.`);
    process.exit(1);
  });
  await gateway.connect();
  // After --password-stdin, standard input is the password's pipe: keys come from the terminal itself.
  const stdin = process.stdin.isTTY ? process.stdin : new ReadStream(openSync('/dev/tty', 'r'));
  traceTerminalWrites(process.stdout);
  // Only the lines that changed are written: a new message costs a few lines, not a screen (over SSH, on a slow link).
  const app = render(<App client={{ rest, gateway, cache }} server={profile.server} fetchFile={fetch} greeting={notice} />, { exitOnCtrlC: false, stdin, incrementalRendering: true });
  await app.waitUntilExit();
  gateway.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

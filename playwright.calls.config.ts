import { defineConfig } from '@playwright/test';
import browserJourneys from './playwright.config';

/**
 * Real calls in real headless Chromium (fake camera and microphone, loopback only) against a real
 * Parley server on SQLite and a real coturn handing out relay candidates. `npm test` runs these
 * inside a fresh network namespace (`unshare -n`) so ICE sees nothing but loopback; run them by
 * hand the same way: `unshare -n sh -c 'ip link set lo up && npx playwright test -c playwright.calls.config.ts'`.
 */
const port = Number(process.env.E2E_CALLS_PORT ?? 18_090);
const turnPort = Number(process.env.E2E_TURN_PORT ?? 18_478);
const dataDir = process.env.E2E_CALLS_DATA_DIR ?? '.test-output/e2e-calls-data';
const turnDir = process.env.E2E_TURN_DIR ?? '.test-output/e2e-calls-turn';
/** Where results go: npm test runs the 2 GiB transfer (tagged @big) as a run of its own, beside the checks. */
const resultsFile = process.env.E2E_CALLS_RESULTS ?? '.test-output/e2e-calls-results.json';
/** A second server for big calls: small mesh, room for 16, its own Janus (e2e/calls/sfu.spec.ts). */
export const sfuPort = Number(process.env.E2E_SFU_PORT ?? 18_092);
const sfuDataDir = process.env.E2E_SFU_DATA_DIR ?? '.test-output/e2e-sfu-data';

/**
 * libnice (Janus's ICE) ignores loopback, so big calls need an interface that is not: a veth pair
 * inside this network namespace (npm test runs the call specs in one of their own, as root).
 * Janus gathers on its first end only; Chromium reaches it from the same namespace.
 */
const veth = { name: 'parley-sfu0', peer: 'parley-sfu1', address: '10.213.0.1', peerAddress: '10.213.0.2' };
const vethUp = [
  `ip link show ${veth.name} >/dev/null 2>&1 || (ip link add ${veth.name} type veth peer name ${veth.peer}`,
  `ip addr add ${veth.address}/24 dev ${veth.name} && ip addr add ${veth.peerAddress}/24 dev ${veth.peer}`,
  `ip link set ${veth.name} up && ip link set ${veth.peer} up)`,
].join(' && ');

/** coturn's static-auth-secret for the test TURN server; the Parley server signs credentials with it. */
const turnSecret = 'parley-test-turn-secret';
const turnUrls = [`turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`];
const stunUrls = [`stun:127.0.0.1:${turnPort}`];

const turnserver = [
  'turnserver -n',
  `--listening-port=${turnPort} --listening-ip=127.0.0.1 --relay-ip=127.0.0.1`,
  // Relay candidates are 127.0.0.1 too, so coturn must be allowed to relay to loopback peers.
  '--allow-loopback-peers --min-port=31000 --max-port=31499',
  `--use-auth-secret --static-auth-secret=${turnSecret} --realm=parley.test`,
  '--no-tls --no-dtls --no-cli --log-file=stdout --simple-log',
  // Its own state files, not the system's (/var/lib/turn, /var/run).
  `--userdb=${turnDir}/turndb --pidfile=${turnDir}/turnserver.pid`,
].join(' ');

/** What both Parley servers share: loopback, generous rate limits, the test coturn. */
function parleyEnv(listenPort: number, dir: string): Record<string, string> {
  return {
    PORT: String(listenPort),
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_IP: '1000/60',
    MESSAGE_RATE_LIMIT: '1000/10',
    STUN_URLS: stunUrls.join(','),
    TURN_URLS: turnUrls.join(','),
    TURN_SECRET: turnSecret,
  };
}

export default defineConfig({
  testDir: 'e2e/calls',
  outputDir: `${resultsFile.replace(/\.json$/, '')}-artifacts`,
  fullyParallel: true,
  // Every participant is a Chromium encoding and decoding media: one spec at a time on 2 cores.
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: resultsFile }]],
  // The same Chromium as the other journeys, with a fake camera and microphone always allowed.
  use: {
    ...browserJourneys.use,
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      ...browserJourneys.use?.launchOptions,
      args: [...(browserJourneys.use?.launchOptions?.args ?? []), '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection'],
    },
  },
  webServer: [
    {
      command: `rm -rf ${dataDir} && node packages/server/dist/main.js`,
      url: `http://127.0.0.1:${port}/readyz`,
      env: {
        ...parleyEnv(port, dataDir),
        // Small enough that a spec can fill a call; the specs' biggest calls have three people.
        CALL_MAX_PARTICIPANTS: '3',
      },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: `${vethUp} && rm -rf ${sfuDataDir} && node packages/server/dist/main.js`,
      url: `http://127.0.0.1:${sfuPort}/readyz`,
      // Its warnings (an SFU request Janus refused or never answered) go to the log.
      stdout: 'pipe',
      env: {
        ...parleyEnv(sfuPort, sfuDataDir),
        // The fourth person moves the call to the SFU (a mesh of three before that).
        CALL_MESH_MAX: '3',
        CALL_MAX_PARTICIPANTS: '16',
        JANUS_ICE_INTERFACES: veth.address,
        // Below the ephemeral range (32768+), where a dozen Chromiums' own sockets would collide.
        JANUS_RTP_PORTS: '21000-21999',
      },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // coturn is ready once its TCP listener accepts connections (UDP listens on the same port).
      // Its "socket: Protocol not supported" on stderr is a harmless SCTP probe.
      command: `rm -rf ${turnDir} && mkdir -p ${turnDir} && exec ${turnserver}`,
      port: turnPort,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});

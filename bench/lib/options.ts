import path from 'node:path';
import { parseArgs } from 'node:util';
import { type DeploymentOptions, type Engine } from './parley';
import { RESULTS_DIR } from './report';
import { cpuPlan } from './system';

export const SCENARIOS = ['fanout', 'baseline', 'idle', 'history', 'calls', 'governance', 'tui', 'lowband', 'e2ee', 'files', 'sfu', 'storm', 'soak'] as const;
export type Scenario = (typeof SCENARIOS)[number];
/**
 * What `all` runs: the chat load. `calls` runs on its own, in a loopback-only network namespace
 * (where PostgreSQL and Redis on the host's loopback are out of reach).
 */
export const ALL_SCENARIOS: readonly Scenario[] = ['fanout', 'baseline', 'idle', 'history'];

export const USAGE = `Parley load bench. Usage: npx tsx bench/run.ts <scenario|all> [flags]

Scenarios:
  fanout     members in one channel, senders at a set rate: delivery latency and events/s
  baseline   saturation of Parley vs a bare ws broadcast server (the ceiling), as a ratio
  idle       many identified, idle gateway connections: server RSS per connection
  history    a channel seeded with many messages: GET /messages?limit=50 at several depths
  calls      people in a voice channel, one Chromium each: Join click to first remote audio, and
             CPU per participant (run it loopback-only: unshare -n, see bench/README.md)
  governance issue 10: a guild with roles and channel overwrites vs a plain one, alternating:
             peak delivered events/s in a channel with overwrites, IDENTIFY → READY, SQL per send
  tui        terminal clients (parley-chat), each in its own tmux terminal of 80×24, in one channel:
             a message typed (tmux send-keys) → written to the others' terminals, and startup time
  lowband    a terminal client's gateway traffic against a 56 kbit/s link: bytes on the wire for
             READY and a busy period, text vs compress=zlib-stream, every intent vs the client's
  e2ee       issue 14: an encrypted private channel of N people, one device each: the commit adding
             everyone, each device's join, sealing and opening messages
  files      a file sent peer to peer from one Chromium to another through the web client: MB/s from
             the click on Download to the download event, time to first byte, CPU and peak RSS of
             each browser and CPU of the server, the bytes identical (run it loopback-only like calls)
  sfu        issue 16: a big call through Janus (the server's CALL_MESH_MAX small), participants as
             browser contexts over a few Chromiums: bytes/s each receives (audio, video), server,
             Janus and Chromium CPU, whether everyone hears everyone; --lecture: 1 host, listeners
             (run it in its own network namespace as root: unshare -n, see bench/README.md)
  storm      issue 17: --members people identify at once into one server: time until all are READY,
             presence frames received, server CPU (they follow the online list like the web client)
  soak       issue 17: --nodes 3 on PostgreSQL + Redis, --connections clients, steady messages, a node
             killed (SIGKILL, SIGTERM in turn) and restarted every --kill-every s for --minutes: every
             acknowledged message once for every client, each kill's reconnects, RSS per node
  all        fanout, baseline, idle and history, with their defaults

Server (every scenario but the bare baseline):
  --db sqlite|postgres   storage engine (default sqlite; postgres at 127.0.0.1:5432/test,
                         a fresh schema dropped afterwards)
  --redis                set REDIS_URL (127.0.0.1:6379) for the nodes: the multi-node bus
  --nodes N              server processes (default 1; more need --db postgres --redis)
  --source               run the TypeScript sources through tsx instead of the bundle
  --cpu-prof             write a V8 CPU profile of each node to bench/results/profiles/
  --pin-cpus             one node on core 0 alone, the bench's senders and receivers on the other
                         cores (taskset), as if the server had its own machine (see bench/README.md)
  --wait-idle S          before each scenario (calls: also before the joins and each CPU window;
                         files: also before the transfer), wait up to S seconds for the machine to be under 30% busy (it is shared;
                         default 0: start at once)
  --server-env K=V       extra environment for the server (repeatable), e.g. EVENT_LOG_MAX_ENTRIES=1000
  --port P               port of the first node (the next nodes take P+1, …; default: free ports)

fanout / baseline:
  --members M            receivers in the channel (default 1000)
  --rate R               messages per second (default 20)
  --seconds T            how long to hold the rate (default 20)
  --senders S            members that send, in turn (default 10)
  --content-bytes B      message length (default 200)
  --saturate             fanout: also raise the rate until delivered events/s stops growing
  --start-rate R0        first saturation step (default 20), ×--factor (default 1.5) per step
  --step-seconds T       length of each saturation step (default 6)
  --max-steps N          saturation steps at most (default 12)
  --max-inflight N       unanswered sends allowed before sends are skipped (default 32)
  --rounds N             baseline: saturation sweeps per target, best kept (default 2)
  --receivers K          receiver processes the gateway clients are split across (default 1)

governance (also takes the fanout / baseline flags: --members, --senders, --rounds, saturation):
  --roles N              roles in the governed guild, each member holding 1-3 (default 20)
  --channels N           extra text channels per guild, with overwrites when governed (default 50)
  --ready-samples N      IDENTIFY → READY timings per setup per round, one at a time (default 100)
  --ready-rounds N       rounds of READY timings, plain and governance alternating (default 2)
  --sql-sends N          serial sends per guild while counting SQL statements (default 20)
  --compare-root DIR     also the plain setup on a server built from another checkout, e.g. a
                         \`git worktree\` of the commit before issue 10, alternating with the others

idle:
  --connections N        identified connections to hold (default 10000)
  --guild-size G         members per guild the users are split into (default 100)
  --hold-seconds T       how long to hold them, heartbeating (default 20)
  --heartbeat-ms MS      GATEWAY_HEARTBEAT_MS for the run (default: the server's 41250)

e2ee:
  --group-size N         people in the encrypted channel, one device each (default 100)
  --seal-messages N      messages sealed and opened once the group formed (default 1000)
  --message-bytes N      characters per message (default 200)

lowband:
  --guild-members N      members of the person's server (default 200)
  --channels N           text channels in it (default 4; also governance's flag)
  --online N             other members connected, changing status (default 40)
  --busy-seconds T       length of the busy period (default 20)
  --message-rate R       messages/s in the person's channel (default 5; one more a second elsewhere)
  --presence-rate R      status changes/s among the connected members (default 2)

storm (takes --members, default 1000):
  --subscribe-online N   after READY each asks for the first N online members (op 14; default 100;
                         0 sends nothing: what a server before issue 17 understands)

soak (takes --nodes, --db postgres --redis; --rate, default 20 here):
  --connections N        gateway clients, spread over the nodes (default 3000)
  --guild-size G         members per server, each with one text channel (default 30)
  --minutes M            length of the soak (default 10)
  --kill-every S         a node stopped and started again every S seconds (default 120)

history:
  --messages N           messages to seed in one channel (default 1000000)
  --requests N           requests per depth (default 300)
  --seed-batch N         rows per seeding transaction (default 50000)

files:
  --file-mib N           size of the generated file in MiB (default 512, at most 4096; at least 2: the
                         server's upload limit is set to 1 MiB so the composer offers it peer to peer)

calls:
  --people N             participants, each in a Chromium of their own (default 4)
  --join-rounds R        rounds of everyone joining in turn, then leaving (default 5)
  --poll-ms MS           how often a joining page reads getStats for remote audio (default 20)
  --join-timeout S       a join that hears nobody within S seconds counts as failed (default 20)
  --cpu-seconds T        CPU sampling window with everyone in the call (default 20)
  --fresh-join-after-ms MS  the third joiner's page is loaded afresh before each of its joins (the
                         call engine not loaded yet, as when someone opens Parley and clicks a voice
                         channel); it clicks MS after the voice channel shows (default 1000)
  --fresh-join-cache cold|warm   cold: the browser's HTTP cache is emptied before that page loads,
                         as on the first call after an update (the service worker keeps the app
                         shell; libsodium and the encryption worker come again) (default cold)
  --join-load audio|video   what the people already in the call do while the next one joins:
                         talk (audio), or talk with their cameras on (video) (default audio)
  --settle-seconds S     cameras on: wait at most S s for the bandwidth estimate to ramp up (no stream
                         bandwidth-limited) before sampling CPU (default 30)
  --media audio|video|both   CPU with cameras off, on, or both (default both)
  --e2ee on|off|both     end-to-end encryption setting of the web client (default both)

sfu (also --people, default 25 here, --cpu-seconds as the window, --e2ee on|off):
  --lecture              one host talking and sharing, --listeners muted listeners, instead of
                         --people talking (and one participant again with receiveVideo: false)
  --listeners L          lecture listeners (default 50)
  --browsers B           Chromium processes the participants' contexts are spread over (default 3;
                         the sharer or host has the first to itself)
  --mesh-max N           CALL_MESH_MAX for the server: the call moves to the SFU past it (default 2)
  --settle-seconds S     pause before each window once media flows (default here 5)

tui:
  --clients N            parley-chat processes, each in a tmux session of 80×24 (default 100)
  --typists N            clients that type, in turn (default 5)
  --typed N              messages typed (default 30)
  --typed-rate R         messages typed per second, all typists together (default 0.25: what two
                         cores sustain for 100 clients; 2/s saturates them, see bench/README.md)
  --enter-delay-ms MS    from the text's send-keys to Enter's (default 150); latency starts at Enter
  --launch-concurrency N clients starting at once (launched, first screen not yet drawn) (default 4)
  --startup-seconds S    every client must draw its first screen within S (default 600)
  --pause-seconds S      idle window (CPU sampled) between the last first screen and the typing (default 10)
  --drain-seconds S      wait at most S after the last Enter for every terminal to draw it (default 30)
  --check-panes N        panes also stamped by tmux pipe-pane, to cross-check the trace (default 3)
  --client-env K=V       extra environment for the clients (repeatable), e.g. NODE_ENV=production
  --timeout S            the whole scenario, after which the bench exits and cleans up (default 900)
`;

export interface BenchOptions {
  scenario: Scenario | 'all';
  waitIdleSeconds: number;
  deployment: DeploymentOptions;
  fanout: {
    members: number;
    rate: number;
    seconds: number;
    senders: number;
    contentBytes: number;
    saturate: boolean;
    startRate: number;
    factor: number;
    stepSeconds: number;
    maxSteps: number;
    maxInflight: number;
    receivers: number;
    rounds: number;
  };
  governance: { roles: number; channels: number; readySamples: number; readyRounds: number; sqlSends: number; compareRoot: string | null };
  idle: { connections: number; guildSize: number; holdSeconds: number; heartbeatMs: number | null };
  storm: { members: number; subscribeOnline: number };
  soak: { connections: number; guildSize: number; minutes: number; killEverySeconds: number; rate: number };
  history: { messages: number; requests: number; seedBatch: number };
  e2ee: { groupSize: number; sealMessages: number; messageBytes: number };
  files: { fileMiB: number };
  lowband: { guildMembers: number; channels: number; online: number; busySeconds: number; messageRate: number; presenceRate: number };
  calls: {
    people: number;
    joinRounds: number;
    pollMs: number;
    joinTimeoutSeconds: number;
    cpuSeconds: number;
    settleSeconds: number;
    freshJoinAfterMs: number;
    freshJoinCache: 'cold' | 'warm';
    joinLoad: CallMedia;
    media: CallMedia[];
    e2ee: boolean[];
  };
  sfu: { people: number; lecture: boolean; listeners: number; browsers: number; meshMax: number; seconds: number; settleSeconds: number; e2ee: boolean };
  tui: {
    clients: number;
    typists: number;
    typed: number;
    typedRate: number;
    enterDelayMs: number;
    launchConcurrency: number;
    startupSeconds: number;
    pauseSeconds: number;
    drainSeconds: number;
    checkPanes: number;
    clientEnv: Record<string, string>;
    timeoutSeconds: number;
  };
}

export type CallMedia = 'audio' | 'video';

export function parseOptions(argv: string[]): BenchOptions | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      db: { type: 'string', default: 'sqlite' },
      redis: { type: 'boolean', default: false },
      nodes: { type: 'string', default: '1' },
      source: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'pin-cpus': { type: 'boolean', default: false },
      'server-env': { type: 'string', multiple: true, default: [] },
      'wait-idle': { type: 'string', default: '0' },
      'subscribe-online': { type: 'string', default: '100' },
      members: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '20' },
      seconds: { type: 'string', default: '20' },
      senders: { type: 'string', default: '10' },
      'content-bytes': { type: 'string', default: '200' },
      saturate: { type: 'boolean', default: false },
      'start-rate': { type: 'string', default: '20' },
      factor: { type: 'string', default: '1.5' },
      'step-seconds': { type: 'string', default: '6' },
      'max-steps': { type: 'string', default: '12' },
      'max-inflight': { type: 'string', default: '32' },
      receivers: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '2' },
      roles: { type: 'string', default: '20' },
      channels: { type: 'string' },
      'guild-members': { type: 'string', default: '200' },
      online: { type: 'string', default: '40' },
      'busy-seconds': { type: 'string', default: '20' },
      'message-rate': { type: 'string', default: '5' },
      'presence-rate': { type: 'string', default: '2' },
      'group-size': { type: 'string', default: '100' },
      'seal-messages': { type: 'string', default: '1000' },
      'message-bytes': { type: 'string', default: '200' },
      'file-mib': { type: 'string', default: '512' },
      'ready-samples': { type: 'string', default: '100' },
      'ready-rounds': { type: 'string', default: '2' },
      'sql-sends': { type: 'string', default: '20' },
      'compare-root': { type: 'string' },
      connections: { type: 'string', default: '10000' },
      'guild-size': { type: 'string', default: '100' },
      'hold-seconds': { type: 'string', default: '20' },
      'heartbeat-ms': { type: 'string' },
      messages: { type: 'string', default: '1000000' },
      requests: { type: 'string', default: '300' },
      'seed-batch': { type: 'string', default: '50000' },
      port: { type: 'string' },
      minutes: { type: 'string', default: '10' },
      'kill-every': { type: 'string', default: '120' },
      people: { type: 'string' },
      lecture: { type: 'boolean', default: false },
      listeners: { type: 'string', default: '50' },
      browsers: { type: 'string', default: '3' },
      'mesh-max': { type: 'string', default: '2' },
      'join-rounds': { type: 'string', default: '5' },
      'poll-ms': { type: 'string', default: '20' },
      'join-timeout': { type: 'string', default: '20' },
      'cpu-seconds': { type: 'string', default: '20' },
      'settle-seconds': { type: 'string' },
      'fresh-join-after-ms': { type: 'string', default: '1000' },
      'fresh-join-cache': { type: 'string', default: 'cold' },
      'join-load': { type: 'string', default: 'audio' },
      media: { type: 'string', default: 'both' },
      e2ee: { type: 'string', default: 'both' },
      clients: { type: 'string', default: '100' },
      typists: { type: 'string', default: '5' },
      typed: { type: 'string', default: '30' },
      'typed-rate': { type: 'string', default: '0.25' },
      'enter-delay-ms': { type: 'string', default: '150' },
      'launch-concurrency': { type: 'string', default: '4' },
      'startup-seconds': { type: 'string', default: '600' },
      'pause-seconds': { type: 'string', default: '10' },
      'drain-seconds': { type: 'string', default: '30' },
      'check-panes': { type: 'string', default: '3' },
      'client-env': { type: 'string', multiple: true, default: [] },
      timeout: { type: 'string', default: '900' },
    },
  });
  const scenario = positionals[0];
  if (values.help || !scenario) return null;
  if (scenario !== 'all' && !SCENARIOS.includes(scenario as Scenario)) throw new Error(`Unknown scenario "${scenario}"\n\n${USAGE}`);
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error('--db must be sqlite or postgres');
  const int = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const oneOrBoth = <T>(name: string, raw: string | undefined, choices: Record<string, T[]>): T[] => {
    const chosen = choices[raw ?? ''];
    if (!chosen) throw new Error(`--${name} must be one of ${Object.keys(choices).join(', ')}`);
    return chosen;
  };
  const oneOf = <T extends string>(name: string, raw: string, choices: readonly T[]): T => {
    if (!(choices as readonly string[]).includes(raw)) throw new Error(`--${name} must be one of ${choices.join(', ')}`);
    return raw as T;
  };
  const typedRate = Number(values['typed-rate']);
  if (!(typedRate > 0 && typedRate <= 100)) throw new Error('--typed-rate must be above 0 and at most 100');
  const keyValues = (name: string, pairs: string[]): Record<string, string> =>
    Object.fromEntries(
      pairs.map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`--${name} wants KEY=VALUE, got "${pair}"`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    );
  if (values['pin-cpus'] && values.nodes !== '1') throw new Error('--pin-cpus runs one node (it gets core 0 to itself)');
  const factor = Number(values.factor);
  if (!(factor > 1 && factor <= 4)) throw new Error('--factor must be above 1 and at most 4');
  return {
    scenario: scenario as Scenario | 'all',
    waitIdleSeconds: int('wait-idle', values['wait-idle'], 0, 3600),
    deployment: {
      engine: values.db as Engine,
      redis: values.redis!,
      nodes: int('nodes', values.nodes, 1, 8),
      source: values.source!,
      cpuProfDir: values['cpu-prof'] ? path.join(RESULTS_DIR, 'profiles') : null,
      cpus: values['pin-cpus'] ? cpuPlan() : null,
      env: keyValues('server-env', values['server-env']!),
      port: values.port === undefined ? null : int('port', values.port, 1024, 65_000),
      web: false,
    },
    fanout: {
      members: int('members', values.members, 1, 20_000),
      rate: int('rate', values.rate, 1, 100_000),
      seconds: int('seconds', values.seconds, 1, 600),
      senders: int('senders', values.senders, 1, 1000),
      contentBytes: int('content-bytes', values['content-bytes'], 32, 4000),
      saturate: values.saturate!,
      startRate: int('start-rate', values['start-rate'], 1, 100_000),
      factor,
      stepSeconds: int('step-seconds', values['step-seconds'], 2, 120),
      maxSteps: int('max-steps', values['max-steps'], 1, 30),
      maxInflight: int('max-inflight', values['max-inflight'], 1, 4096),
      receivers: int('receivers', values.receivers, 1, 16),
      rounds: int('rounds', values.rounds, 1, 10),
    },
    governance: {
      roles: int('roles', values.roles, 1, 200),
      channels: int('channels', values.channels ?? '50', 1, 400),
      readySamples: int('ready-samples', values['ready-samples'], 1, 10_000),
      readyRounds: int('ready-rounds', values['ready-rounds'], 1, 20),
      sqlSends: int('sql-sends', values['sql-sends'], 1, 1000),
      compareRoot: values['compare-root'] === undefined ? null : path.resolve(values['compare-root']),
    },
    idle: {
      connections: int('connections', values.connections, 1, 20_000),
      guildSize: int('guild-size', values['guild-size'], 1, 20_000),
      holdSeconds: int('hold-seconds', values['hold-seconds'], 0, 3600),
      heartbeatMs: values['heartbeat-ms'] === undefined ? null : int('heartbeat-ms', values['heartbeat-ms'], 1000, 600_000),
    },
    storm: { members: int('members', values.members, 2, 20_000), subscribeOnline: int('subscribe-online', values['subscribe-online'], 0, 250) },
    soak: {
      connections: int('connections', scenario === 'soak' ? (argv.includes('--connections') ? values.connections : '3000') : '3000', 2, 20_000),
      guildSize: int('guild-size', scenario === 'soak' && !argv.includes('--guild-size') ? '30' : values['guild-size'], 2, 1000),
      minutes: int('minutes', values.minutes, 1, 60),
      killEverySeconds: int('kill-every', values['kill-every'], 10, 3600),
      rate: int('rate', scenario === 'soak' && !argv.includes('--rate') ? '20' : values.rate, 1, 1000),
    },
    history: {
      messages: int('messages', values.messages, 100, 10_000_000),
      requests: int('requests', values.requests, 1, 100_000),
      seedBatch: int('seed-batch', values['seed-batch'], 100, 1_000_000),
    },
    e2ee: {
      groupSize: int('group-size', values['group-size'], 2, 500),
      sealMessages: int('seal-messages', values['seal-messages'], 1, 100_000),
      messageBytes: int('message-bytes', values['message-bytes'], 1, 4000),
    },
    files: {
      fileMiB: int('file-mib', values['file-mib'], 2, 4096),
    },
    lowband: {
      guildMembers: int('guild-members', values['guild-members'], 3, 5000),
      channels: int('channels', values.channels ?? '4', 1, 400),
      online: int('online', values.online, 0, 1000),
      busySeconds: int('busy-seconds', values['busy-seconds'], 1, 600),
      messageRate: int('message-rate', values['message-rate'], 1, 100),
      presenceRate: int('presence-rate', values['presence-rate'], 0, 100),
    },
    calls: {
      people: int('people', scenario === 'sfu' ? '4' : (values.people ?? '4'), 2, 8),
      joinRounds: int('join-rounds', values['join-rounds'], 0, 100),
      pollMs: int('poll-ms', values['poll-ms'], 5, 1000),
      joinTimeoutSeconds: int('join-timeout', values['join-timeout'], 1, 120),
      cpuSeconds: int('cpu-seconds', values['cpu-seconds'], 0, 600),
      settleSeconds: int('settle-seconds', values['settle-seconds'] ?? '30', 0, 120),
      freshJoinAfterMs: int('fresh-join-after-ms', values['fresh-join-after-ms'], 0, 60_000),
      freshJoinCache: oneOf('fresh-join-cache', values['fresh-join-cache']!, ['cold', 'warm'] as const),
      joinLoad: oneOf('join-load', values['join-load']!, ['audio', 'video'] as const),
      media: oneOrBoth<CallMedia>('media', values.media, { audio: ['audio'], video: ['video'], both: ['audio', 'video'] }),
      e2ee: oneOrBoth('e2ee', values.e2ee, { on: [true], off: [false], both: [true, false] }),
    },
    sfu: {
      people: int('people', scenario === 'sfu' ? (values.people ?? '25') : '25', 3, 100),
      lecture: values.lecture!,
      listeners: int('listeners', values.listeners, 1, 199),
      browsers: int('browsers', values.browsers, 1, 16),
      meshMax: int('mesh-max', values['mesh-max'], 2, 16),
      seconds: int('cpu-seconds', values['cpu-seconds'], 1, 600),
      settleSeconds: int('settle-seconds', values['settle-seconds'] ?? '5', 0, 120),
      e2ee: oneOrBoth('e2ee', values.e2ee === 'both' ? 'on' : values.e2ee, { on: [true], off: [false] })[0]!,
    },
    tui: {
      clients: int('clients', values.clients, 2, 500),
      typists: int('typists', values.typists, 1, 500),
      typed: int('typed', values.typed, 1, 10_000),
      typedRate,
      enterDelayMs: int('enter-delay-ms', values['enter-delay-ms'], 0, 10_000),
      launchConcurrency: int('launch-concurrency', values['launch-concurrency'], 1, 500),
      startupSeconds: int('startup-seconds', values['startup-seconds'], 10, 3600),
      pauseSeconds: int('pause-seconds', values['pause-seconds'], 0, 600),
      drainSeconds: int('drain-seconds', values['drain-seconds'], 1, 600),
      checkPanes: int('check-panes', values['check-panes'], 0, 50),
      clientEnv: keyValues('client-env', values['client-env']!),
      timeoutSeconds: int('timeout', values.timeout, 30, 7200),
    },
  };
}

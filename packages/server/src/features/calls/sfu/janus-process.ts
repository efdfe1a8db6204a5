import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Janus started by Parley itself (the laptop and single-node shape): its configuration written
 * under DATA_DIR/janus, its WebSocket API on 127.0.0.1 only and guarded by an API secret, the
 * VideoRoom plugin alone, with string room and feed IDs (Parley's snowflakes and session IDs)
 * and an admin key so only Parley creates rooms. Media goes where `iceInterfaces` says.
 * A deployment with several nodes runs one Janus of its own and gives its URL (JANUS_URL).
 */

export interface JanusProcessOptions {
  binary: string;
  dataDir: string;
  /** Interfaces or addresses ICE may use (Janus's ice_enforce_list); empty: all but loopback. */
  iceInterfaces: string[];
  /** Public address to advertise in place of the host's (1:1 NAT, e.g. a cloud VM). */
  nat11: string | null;
  /** UDP ports for media, "min-max". */
  rtpPorts: string;
}

export interface JanusEndpoint {
  url: string;
  apiSecret: string;
  adminKey: string;
}

/** Whether the Janus binary runs here (the Debian package `janus`). */
export function janusInstalled(binary: string): boolean {
  return spawnSync(binary, ['--help'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/**
 * How Janus is started so that it dies with Parley, even a Parley killed outright (SIGKILL, the
 * OOM killer) that could not stop it: util-linux's setpriv asks the kernel to kill it when its
 * parent dies (PR_SET_PDEATHSIG), then runs it. setpriv is on every Debian (util-linux is
 * essential), where the janus package comes from; elsewhere Janus is started as it is.
 */
function launcher(): string[] {
  const available = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return available ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
}

/** Restarts allowed within a minute before giving up (a broken configuration would loop). */
const MAX_RESTARTS_PER_MINUTE = 5;

export class JanusProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts: number[] = [];
  private readonly launcher = launcher();

  private constructor(
    private readonly options: JanusProcessOptions,
    readonly endpoint: JanusEndpoint,
    private readonly port: number,
    private readonly logger: FastifyBaseLogger,
  ) {}

  /** Writes the configuration and starts Janus; resolves once its WebSocket API accepts connections. */
  static async start(options: JanusProcessOptions, logger: FastifyBaseLogger): Promise<JanusProcess> {
    const port = await freePort();
    const endpoint = { url: `ws://127.0.0.1:${port}`, apiSecret: randomBytes(24).toString('hex'), adminKey: randomBytes(24).toString('hex') };
    const janus = new JanusProcess(options, endpoint, port, logger);
    if (!janus.launcher.length) logger.warn('setpriv (util-linux) is missing: a Parley killed with SIGKILL would leave its Janus running');
    janus.writeConfig();
    janus.spawn();
    try {
      await waitForPort(port, 15_000);
    } catch (error) {
      await janus.stop();
      throw error;
    }
    return janus;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private get configDir(): string {
    return path.join(this.options.dataDir, 'janus');
  }

  private writeConfig(): void {
    const { iceInterfaces, nat11, rtpPorts } = this.options;
    fs.mkdirSync(this.configDir, { recursive: true, mode: 0o700 });
    const quote = (value: string) => JSON.stringify(value);
    const files: Record<string, string> = {
      'janus.jcfg': `general: {
  configs_folder = ${quote(this.configDir)}
  debug_level = 3
  server_name = "parley"
  api_secret = ${quote(this.endpoint.apiSecret)}
  session_timeout = 60
}
media: {
  rtp_port_range = ${quote(rtpPorts)}
}
nat: {
  ${iceInterfaces.length ? `ice_enforce_list = ${quote(iceInterfaces.join(','))}` : ''}
  ${nat11 ? `nat_1_1_mapping = ${quote(nat11)}` : ''}
}
plugins: {
  disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_nosip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so,libjanus_duktape.so,libjanus_lua.so"
}
transports: {
  disable = "libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
}
events: {
  broadcast = false
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
`,
      'janus.plugin.videoroom.jcfg': `general: {
  string_ids = true
  admin_key = ${quote(this.endpoint.adminKey)}
  lock_rtp_forward = true
}
`,
      'janus.transport.websockets.jcfg': `general: {
  json = "compact"
  ws = true
  ws_port = ${this.port}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`,
    };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(this.configDir, name), text, { mode: 0o600 });
  }

  private spawn(): void {
    const [command, ...args] = [...this.launcher, this.options.binary, '--configs-folder', this.configDir, '--disable-colors'];
    const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        if (/\[ERR\]|FATAL/.test(line)) this.logger.warn({ janus: line }, 'Janus reported an error');
        else this.logger.debug({ janus: line }, 'Janus');
      });
    }
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      const now = Date.now();
      this.restarts = this.restarts.filter((at) => now - at < 60_000);
      if (this.restarts.length >= MAX_RESTARTS_PER_MINUTE) {
        this.logger.error({ code, signal }, 'Janus keeps exiting: big calls are unavailable until Parley restarts');
        return;
      }
      this.restarts.push(now);
      this.logger.error({ code, signal }, 'Janus exited: restarting it');
      setTimeout(() => this.stopping || this.spawn(), 1000).unref();
    });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Janus did not open its WebSocket API on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

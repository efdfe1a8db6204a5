import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { ReceiverFleet } from '../lib/receivers';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { createGuests, createGuilds } from '../lib/setup';
import { delay, machineInfo, waitFor } from '../lib/system';

const GIB = 2 ** 30;
const MIB = 2 ** 20;

/**
 * N identified gateway connections held open and idle (heartbeating only), users spread over
 * guilds of --guild-size. Reports the server's RSS before the first connection, once all are
 * READY, and after holding them, and the growth per connection.
 */
export async function idleScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.idle;
  const startedAt = new Date();
  const notes: string[] = [];
  const env: Record<string, string> = o.heartbeatMs === null ? {} : { GATEWAY_HEARTBEAT_MS: String(o.heartbeatMs) };
  const deployment = new Deployment({ ...options.deployment, env: { ...options.deployment.env, ...env } });
  const fleet = ReceiverFleet.start(1);
  try {
    const nodes = await deployment.start();
    progress(`creating ${o.connections} guests`);
    const users = await createGuests(nodes[0]!.baseUrl, o.connections);
    progress(`putting them in guilds of ${o.guildSize}`);
    const guilds = await createGuilds(nodes[0]!.baseUrl, users, o.guildSize);
    const rssBefore = sumRss(deployment);
    progress(`server RSS before connections: ${(rssBefore / MIB).toFixed(0)} MiB; opening ${o.connections} connections`);
    const opened = await fleet.open(
      users.map((u, i) => ({ url: nodes[i % nodes.length]!.gatewayUrl, token: u.token })),
      64,
      300_000,
    );
    progress(`${opened.ready} ready in ${opened.seconds.toFixed(1)} s (${opened.failed} failed)`);
    if (opened.failed) notes.push(`connections failed: ${opened.errors.join('; ')}`);
    await waitQuiet(fleet);
    const rssConnected = sumRss(deployment);
    progress(`holding for ${o.holdSeconds} s`);
    const rssSamples: number[] = [];
    const holdUntil = Date.now() + o.holdSeconds * 1000;
    while (Date.now() < holdUntil) {
      rssSamples.push(sumRss(deployment));
      await delay(1000);
    }
    const rssHeld = sumRss(deployment);
    const stillReady = fleet.progress.ready;
    const clientRss = fleet.progress.rss;
    await fleet.close();
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);

    const perConnection = opened.ready ? (rssHeld - rssBefore) / opened.ready : Number.NaN;
    const results = {
      connections: opened,
      guilds: guilds.length,
      stillReadyAfterHold: stillReady,
      unexpectedCloses: fleet.progress.unexpectedCloses,
      serverRssMiB: { beforeConnections: mib(rssBefore), allReady: mib(rssConnected), afterHold: mib(rssHeld), peakDuringHold: mib(Math.max(rssHeld, ...rssSamples)) },
      serverRssKiBPerConnection: Math.round(perConnection / 1024),
      clientRssMiB: mib(clientRss),
    };
    printTable('Idle connections', [
      {
        connections: opened.ready,
        guilds: guilds.length,
        'connect s': Math.round(opened.seconds * 10) / 10,
        'RSS before MiB': results.serverRssMiB.beforeConnections,
        'RSS ready MiB': results.serverRssMiB.allReady,
        'RSS held MiB': results.serverRssMiB.afterHold,
        'KiB/conn': results.serverRssKiBPerConnection,
        'still ready': stillReady,
      },
    ]);
    return {
      scenario: 'idle',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: options.deployment.nodes, redis: options.deployment.redis, target: 'parley' },
      params: { ...o },
      results,
      targets: [
        target(
          `server RSS with ${o.connections.toLocaleString('en-US')} idle connections`,
          '< 1 GiB',
          mib(Math.max(rssHeld, ...rssSamples)),
          'MiB',
          (v) => v * MIB < GIB && stillReady === o.connections,
        ),
      ],
      notes,
    };
  } finally {
    await fleet.close().catch(() => undefined);
    await deployment.dispose();
  }
}

/** All nodes together (the target is per node; with one node this is that node). */
function sumRss(deployment: Deployment): number {
  return deployment.nodes.reduce((sum, node) => sum + node.rss(), 0);
}

const mib = (bytes: number) => Math.round(bytes / MIB);

/** Until the connect-time presence chatter has been read (quiet for 1 s), at most 60 s. */
async function waitQuiet(fleet: ReceiverFleet): Promise<void> {
  let last = -1;
  let quietSince = Date.now();
  await waitFor(
    () => {
      const seen = fleet.progress.otherDispatches;
      if (seen !== last) [last, quietSince] = [seen, Date.now()];
      return Date.now() - quietSince > 1000;
    },
    60_000,
    100,
  );
}

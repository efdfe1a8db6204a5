import { ChannelType, type Snowflake, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { MlsDevice } from '@parley/sdk/e2ee';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { createGuests, createGuild, mapConcurrent } from '../lib/setup';
import { Samples, round } from '../lib/stats';
import { machineInfo } from '../lib/system';

/**
 * Issue 14: an encrypted private channel of N people, one device each, through the real server.
 * Times how long the group takes to form (the first member's commit adding everyone, then each
 * device joining from its welcome and catching up), and sealing and opening messages (AEGIS-256
 * under the epoch's key, signed by the device) once it has. The devices run in this process, one
 * after the other: a join's time is one device's, as each person's client would spend it.
 */
export async function e2eeScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.e2ee;
  const startedAt = new Date();
  const deployment = new Deployment(options.deployment);
  try {
    const [node] = await deployment.start();
    const baseUrl = node!.baseUrl;
    progress(`creating ${o.groupSize} people in a server`);
    const users = await createGuests(baseUrl, o.groupSize);
    const guild = await createGuild(baseUrl, users[0]!, users.slice(1), 'e2ee bench');
    const rests = users.map((u) => new RestClient({ baseUrl, token: u.token }));
    const channel = await rests[0]!.request(routes.channels.create, {
      params: { guild_id: guild.guildId },
      body: { name: 'sealed', type: ChannelType.GUILD_TEXT, private: true, e2ee: true },
    });
    await mapConcurrent(users.slice(1), 8, (u) => rests[0]!.request(routes.channels.addMember, { params: { channel_id: channel.id, user_id: u.id } }));
    progress('registering a device each (11 key packages)');
    const registered = new Samples();
    const devices = await mapConcurrent(users, 4, async (u, i) => {
      const t = performance.now();
      const device = await MlsDevice.register(rests[i]!, u.id as Snowflake, 'bench');
      registered.add(performance.now() - t);
      return device;
    });

    progress(`${o.groupSize} people: the first device starts the group with everyone`);
    const formStart = performance.now();
    await devices[0]!.startGroup(
      channel.id,
      users.map((u) => u.id as Snowflake),
    );
    const commitMs = performance.now() - formStart;
    const joins = new Samples();
    for (const device of devices.slice(1)) {
      const t = performance.now();
      const [joined] = await device.takeWelcomes();
      if (joined !== channel.id) throw new Error(`Device ${device.deviceId} did not join`);
      joins.add(performance.now() - t);
    }
    const formedMs = performance.now() - formStart;
    const epochs = new Set(devices.map((d) => d.epoch(channel.id)));
    if (epochs.size !== 1) throw new Error(`The devices disagree on the epoch: ${[...epochs].join(', ')}`);

    progress(`sealing and opening ${o.sealMessages} messages`);
    const seal = new Samples();
    const open = new Samples();
    const text = 'x'.repeat(o.messageBytes);
    for (let i = 0; i < o.sealMessages; i++) {
      const sender = i % devices.length;
      const reader = (i + 1) % devices.length;
      let t = performance.now();
      const envelope = await devices[sender]!.encryptMessage(channel.id, { content: text });
      seal.add(performance.now() - t);
      t = performance.now();
      const opened = await devices[reader]!.decryptMessage(channel.id, users[sender]!.id as Snowflake, envelope);
      open.add(performance.now() - t);
      if (opened.content !== text) throw new Error('A message opened to something else');
    }

    const joinSummary = joins.summary();
    const results = {
      groupSize: o.groupSize,
      registerMs: registered.summary(),
      commitAddingEveryoneMs: round(commitMs),
      joinMs: joinSummary,
      groupFormedMs: round(formedMs),
      sealMs: seal.summary(),
      openMs: open.summary(),
    };
    printTable('End-to-end encrypted group', [
      {
        people: o.groupSize,
        'commit ms': round(commitMs),
        'join p50 ms': joinSummary.p50,
        'join p99 ms': joinSummary.p99,
        'seal p99 ms': results.sealMs.p99,
        'open p99 ms': results.openMs.p99,
      },
    ]);
    return {
      scenario: 'e2ee',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: false, target: 'parley' },
      params: { ...o },
      results,
      targets: [
        target('seal p99', '< 5 ms', results.sealMs.p99, 'ms', (v) => v < 5),
        target('open p99', '< 5 ms', results.openMs.p99, 'ms', (v) => v < 5),
        // What one person waits for: the commit that adds everyone, then their own device's join.
        target(`${o.groupSize}-person group: commit + one join (p99)`, '< 2000 ms', round(commitMs + joinSummary.p99), 'ms', (v) => v < 2000),
      ],
      notes: [],
    };
  } finally {
    await deployment.stop();
  }
}

import { routes } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import type { Person } from './fixtures';

/**
 * Sends `total` messages from `sender` into a channel while `receiver` is made to drop once per
 * entry of `drops`. Each drop comes after some sends, more are sent while the receiver is away,
 * and the next drop waits for the RESUMED of the one before (two drops in flight would resume
 * only once). Resolves with what the receiver got, in order, and how often it resumed.
 */
export async function sendThroughDrops(sender: Person, channelId: string, receiver: ParleyClient, drops: (() => void)[], total = 40): Promise<{ received: string[]; resumes: number }> {
  const received: string[] = [];
  const all = new Promise<void>((resolve) =>
    receiver.gateway.on('MESSAGE_CREATE', (m) => {
      received.push(m.content);
      if (received.length === total) resolve();
    }),
  );
  let resumes = 0;
  let resumed = () => {};
  receiver.gateway.on('RESUMED', () => {
    resumes++;
    resumed();
  });
  let sent = 0;
  const sendSome = async (count: number) => {
    for (const end = Math.min(total, sent + count); sent < end; sent++) {
      await sender.client.request(routes.messages.create, { params: { channel_id: channelId as never }, body: { content: `n${sent}` } });
    }
  };
  const perSpell = Math.floor(total / (2 * drops.length + 1));
  for (const drop of drops) {
    await sendSome(perSpell);
    const resuming = new Promise<void>((resolve) => (resumed = resolve));
    drop();
    await sendSome(perSpell);
    await resuming;
  }
  await sendSome(total - sent);
  await all;
  return { received, resumes };
}

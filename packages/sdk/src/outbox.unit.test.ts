import type { Message, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter';
import { ParleyApiError, ParleyNetworkError } from './errors';
import type { GatewayEvents } from './gateway';
import { Outbox, type OutboxOptions, type PendingMessage } from './outbox';
import type { RestClient, UploadOptions } from './rest';

const channel = '10' as Snowflake;

class Events extends Emitter<GatewayEvents> {
  fire<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void {
    this.emit(name, payload);
  }
}

type Body = { content: string; nonce: string; enforce_nonce: boolean; message_reference?: { message_id: string } };
interface Call {
  body: Body;
  files: readonly File[] | undefined;
  upload: UploadOptions | undefined;
  /** Answers with the stored message (an ID of the test's choosing). */
  answer: (id: number) => Message;
  fail: (error: unknown) => void;
}

/** An outbox whose sends the test answers by hand, in any order. */
function setUp(ordered = false, seal?: OutboxOptions['seal']) {
  const events = new Events();
  const calls: Call[] = [];
  const call = (input: { body: Body; files?: readonly File[] }, upload?: UploadOptions) =>
    new Promise<Message>((resolve, reject) => {
      calls.push({
        body: input.body,
        files: input.files,
        upload,
        answer: (id) => {
          const message = stored(id, input.body.nonce, input.body.content);
          resolve(message);
          return message;
        },
        fail: reject,
      });
    });
  const rest = {
    request: (_route: unknown, input: { body: Body }) => call(input),
    send: (_route: unknown, input: { body: Body; files: File[] }, upload: UploadOptions) => call(input, upload),
  } as unknown as RestClient;
  const confirmed: Message[] = [];
  const removed: string[] = [];
  const outbox = new Outbox(rest, events, {
    onConfirmed: (m) => confirmed.push(m),
    onRemoved: (p) => removed.push(p.nonce),
    describeError: (e) => `said: ${(e as Error).message}`,
    ordered,
    ...(seal && { seal }),
    // These tests answer the message's multipart send by hand; resumable uploads: uploads.unit.test.ts.
    resumableUploads: false,
  });
  const view = () => outbox.pending(channel).map((p) => [p.content, p.state]);
  return { events, calls, outbox, confirmed, removed, view };
}

const stored = (id: number, nonce: string, content: string) => ({ id: String(id), channel_id: channel, content, nonce }) as unknown as Message;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('sealed sends (end-to-end encrypted conversations)', () => {
  const envelope = { epoch: 1, device_id: '5' as Snowflake, ciphertext: 'AAAA', signature: 'BBBB', commitment: 'CCCC' };

  it('sends the envelope instead of the text where the seal gives one, and the text elsewhere', async () => {
    const { calls, outbox, view } = setUp(false, async (channelId) => (channelId === channel ? envelope : null));
    void outbox.send(channel, 'secret');
    void outbox.send('11' as Snowflake, 'plain');
    await settle();
    expect(calls.map((c) => c.body)).toEqual([expect.objectContaining({ encrypted: envelope }), expect.objectContaining({ content: 'plain' })]);
    expect(calls[0]!.body).not.toHaveProperty('content');
    // Shown as typed while it is on its way.
    expect(view()).toEqual([['secret', 'sending']]);
  });

  it('fails a message that cannot be sealed, with the reason, and sends nothing', async () => {
    const { calls, outbox, view } = setUp(false, async () => {
      throw new Error('not in the conversation yet');
    });
    await outbox.send(channel, 'secret');
    expect(calls).toEqual([]);
    expect(view()).toEqual([['secret', 'failed']]);
    expect(outbox.pending(channel)[0]!.error).toBe('said: not in the conversation yet');
  });

  it('seals an edit like a send, and never sends the new text where sealing fails or gives a bare envelope', async () => {
    const { calls, outbox } = setUp(false, async (channelId) => (channelId === channel ? { encrypted: envelope, files: [] } : null));
    void outbox.edit(channel, '7' as Snowflake, 'secret, edited');
    void outbox.edit('11' as Snowflake, '8' as Snowflake, 'plain, edited');
    await settle();
    expect(calls.map((c) => c.body)).toEqual([{ content: '', encrypted: envelope }, { content: 'plain, edited' }]);
    const refusing = setUp(false, async () => {
      throw new Error('not in the conversation yet');
    });
    await expect(refusing.outbox.edit(channel, '7' as Snowflake, 'secret')).rejects.toThrow('not in the conversation yet');
    expect(refusing.calls).toEqual([]);
    // A bare envelope would not say the message's files were kept: refused.
    const bare = setUp(false, async () => envelope);
    await expect(bare.outbox.edit(channel, '7' as Snowflake, 'secret')).rejects.toThrow('cannot edit encrypted messages');
    expect(bare.calls).toEqual([]);
  });
});

describe('optimistic sends', () => {
  it('shows a message as pending at once, sends it with a nonce, and lets it go when the server answers', async () => {
    const { calls, outbox, confirmed, removed, view } = setUp();
    const sending = outbox.send(channel, 'hello', { replyTo: '5' as Snowflake });
    expect(view()).toEqual([['hello', 'sending']]);
    const { nonce } = outbox.pending(channel)[0]!;
    expect(calls[0]!.body).toEqual({ content: 'hello', nonce, enforce_nonce: true, message_reference: { message_id: '5' } });
    const message = calls[0]!.answer(100);
    await sending;
    expect(view()).toEqual([]);
    expect(confirmed).toEqual([message]);
    expect(removed).toEqual([nonce]);
  });

  it('lets a message go when the gateway echoes it before the answer comes', async () => {
    const { events, calls, outbox, removed, view } = setUp();
    const sending = outbox.send(channel, 'hello');
    const { nonce } = outbox.pending(channel)[0]!;
    events.fire('MESSAGE_CREATE', stored(100, nonce, 'hello'));
    expect(view()).toEqual([]);
    calls[0]!.answer(100);
    await sending;
    expect(removed).toEqual([nonce]);
  });

  it('ignores echoes of other messages', () => {
    const { events, outbox, view } = setUp();
    void outbox.send(channel, 'mine');
    events.fire('MESSAGE_CREATE', stored(100, 'someone-else', 'theirs'));
    events.fire('MESSAGE_CREATE', { id: '101', channel_id: channel, content: 'no nonce' } as unknown as Message);
    expect(view()).toEqual([['mine', 'sending']]);
  });

  it('keeps pending messages in the order they were sent, whichever is confirmed first', async () => {
    const { calls, outbox, view } = setUp();
    void outbox.send(channel, 'one');
    void outbox.send(channel, 'two');
    void outbox.send(channel, 'three');
    expect(calls.map((c) => c.body.content)).toEqual(['one', 'two', 'three']);
    calls[1]!.answer(100);
    await settle();
    expect(view()).toEqual([
      ['one', 'sending'],
      ['three', 'sending'],
    ]);
  });

  it('marks a refused send failed with the reason, and a retry sends it again with the same nonce, in its place', async () => {
    const { calls, outbox, confirmed, view } = setUp();
    const first = outbox.send(channel, 'one');
    void outbox.send(channel, 'two');
    calls[0]!.fail(new ParleyApiError(403, { code: 50013, message: 'Missing Permissions' }));
    await first;
    expect(view()).toEqual([
      ['one', 'failed'],
      ['two', 'sending'],
    ]);
    const failed = outbox.pending(channel)[0]!;
    expect(failed.error).toBe('said: Missing Permissions');
    const retrying = outbox.retry(channel, failed.nonce);
    expect(view()[0]).toEqual(['one', 'sending']);
    expect(outbox.pending(channel)[0]!.error).toBeNull();
    expect(calls[2]!.body.nonce).toBe(failed.nonce);
    calls[2]!.answer(101);
    await retrying;
    expect(view()).toEqual([['two', 'sending']]);
    expect(confirmed.map((m) => m.content)).toEqual(['one']);
  });

  it('tries again by itself when the answer was lost on the network (the nonce makes it stored once)', async () => {
    const { calls, outbox, view } = setUp();
    const sending = outbox.send(channel, 'hello');
    calls[0]!.fail(new ParleyNetworkError(new Error('reset')));
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body.nonce).toBe(calls[0]!.body.nonce);
    calls[1]!.answer(100);
    await sending;
    expect(view()).toEqual([]);
  });

  it('discards a failed message', async () => {
    const { calls, outbox, removed, view } = setUp();
    const sending = outbox.send(channel, 'hello');
    calls[0]!.fail(new Error('nope'));
    await sending;
    const { nonce } = outbox.pending(channel)[0]!;
    outbox.discard(channel, nonce);
    expect(view()).toEqual([]);
    expect(removed).toEqual([nonce]);
  });
});

describe('a reactive state (Vue)', () => {
  it('changes pending messages through the state it was given, so views see them', async () => {
    // A stand-in for Vue's reactive(): a deep proxy that records what is set through it.
    const seen: string[] = [];
    const deep = <T extends object>(target: T): T =>
      new Proxy(target, {
        get: (t, key, receiver) => {
          const value = Reflect.get(t, key, receiver) as unknown;
          if (value instanceof Map) return value; // the channels map: its lists are wrapped below
          return typeof value === 'object' && value !== null ? deep(value) : value;
        },
        set: (t, key, value, receiver) => {
          seen.push(String(key));
          return Reflect.set(t, key, value, receiver);
        },
      });
    const events = new Events();
    let fail: (error: unknown) => void = () => undefined;
    const rest = { request: () => new Promise((_resolve, reject) => (fail = reject)) } as unknown as RestClient;
    const outbox = new Outbox(rest, events, {
      reactive: (state) => {
        const channels = new Map<Snowflake, PendingMessage[]>();
        const wrapped = {
          ...state,
          channels: new Proxy(channels, { get: (t, key) => (key === 'get' ? (id: Snowflake) => (t.get(id) ? deep(t.get(id)!) : undefined) : (Reflect.get(t, key) as Function).bind(t)) }),
        };
        return wrapped as typeof state;
      },
    });
    const sending = outbox.send(channel, 'hello');
    fail(new ParleyApiError(403, { code: 50013, message: 'Missing permissions' }));
    await sending;
    expect(outbox.pending(channel)[0]!.state).toBe('failed');
    expect(seen).toContain('state');
  });
});

describe('sends with files', () => {
  const file = new File(['abc'], 'a.txt');

  it('uploads them, reporting progress, and keeps them for a retry after a cancel', async () => {
    const { calls, outbox } = setUp();
    const sending = outbox.send(channel, '', { files: [file] });
    const pending = (): PendingMessage => outbox.pending(channel)[0]!;
    expect(pending().progress).toBe(0);
    expect(calls[0]!.files).toEqual([file]);
    calls[0]!.upload!.onProgress!(1, 4);
    expect(pending().progress).toBe(0.25);
    outbox.cancelUpload(pending().nonce);
    expect(calls[0]!.upload!.signal!.aborted).toBe(true);
    calls[0]!.fail(new DOMException('cancelled', 'AbortError'));
    await sending;
    expect(pending()).toMatchObject({ state: 'failed', error: 'Upload cancelled.', files: [file] });
    const retrying = outbox.retry(channel, pending().nonce);
    expect(calls[1]!.files).toEqual([file]);
    calls[1]!.answer(100);
    await retrying;
    expect(outbox.pending(channel)).toEqual([]);
  });
});

describe('ordered sends (the terminal client)', () => {
  // What a proxy answers while the server restarts (a network error is tried again by sendMessage first).
  const restarting = () => new ParleyApiError(503, { code: 0, message: 'Service unavailable' });

  it('sends one at a time in the order typed; offline, the rest wait behind the first, and go in order on resume', async () => {
    const { calls, outbox, view } = setUp(true);
    void outbox.send(channel, 'one');
    void outbox.send(channel, 'two');
    await settle();
    expect(calls.map((c) => c.body.content)).toEqual(['one']);
    calls[0]!.fail(restarting());
    await settle();
    // Something typed meanwhile tries the first again (the network may be back), not itself.
    void outbox.send(channel, 'three');
    await settle();
    expect(calls.map((c) => c.body.content)).toEqual(['one', 'one']);
    calls[1]!.fail(restarting());
    await settle();
    expect(view()).toEqual([
      ['one', 'queued'],
      ['two', 'queued'],
      ['three', 'queued'],
    ]);

    const resuming = outbox.resume();
    await settle();
    expect(calls[2]!.body).toMatchObject({ content: 'one', nonce: calls[0]!.body.nonce });
    calls[2]!.answer(1);
    await settle();
    expect(calls[3]!.body.content).toBe('two');
    calls[3]!.fail(new ParleyApiError(502, { code: 0, message: 'Bad gateway' }));
    await resuming;
    expect(view()).toEqual([
      ['two', 'queued'],
      ['three', 'queued'],
    ]);
    outbox.close();
  });

  it('tries a rate-limited message again by itself after Retry-After, the rest behind it', async () => {
    const { calls, outbox, view } = setUp(true);
    void outbox.send(channel, 'slow');
    void outbox.send(channel, 'mode');
    await settle();
    calls[0]!.fail(new ParleyApiError(429, { code: 20016, message: 'Slow down', retry_after: 0.05 }));
    await settle();
    expect(view()).toEqual([
      ['slow', 'queued'],
      ['mode', 'queued'],
    ]);
    await expect.poll(() => calls.length).toBe(2);
    expect(calls[1]!.body).toMatchObject({ content: 'slow', nonce: calls[0]!.body.nonce });
    calls[1]!.answer(1);
    await expect.poll(() => calls.length).toBe(3);
    expect(calls[2]!.body.content).toBe('mode');
    outbox.close();
  });

  it('a server error is a refusal, not a reason to wait: the message fails and the next one goes', async () => {
    const { calls, outbox, view } = setUp(true);
    void outbox.send(channel, 'breaks the server');
    void outbox.send(channel, 'next');
    await settle();
    calls[0]!.fail(new ParleyApiError(500, { code: 0, message: 'Internal error' }));
    await settle();
    expect(calls[1]!.body.content).toBe('next');
    expect(view()[0]).toEqual(['breaks the server', 'failed']);
  });

  it('a retried failed message takes its place in the queue again', async () => {
    const { calls, outbox, view } = setUp(true);
    void outbox.send(channel, 'refused once');
    await settle();
    calls[0]!.fail(new ParleyApiError(403, { code: 50013, message: 'Missing permissions' }));
    await settle();
    expect(view()).toEqual([['refused once', 'failed']]);
    void outbox.retry(channel, outbox.pending(channel)[0]!.nonce);
    await settle();
    expect(calls[1]!.body).toMatchObject({ content: 'refused once', nonce: calls[0]!.body.nonce });
    calls[1]!.answer(5);
    await settle();
    expect(view()).toEqual([]);
  });

  it('a refused message fails without holding up the ones after it', async () => {
    const { calls, outbox, view } = setUp(true);
    void outbox.send(channel, 'too long');
    void outbox.send(channel, 'fine');
    await settle();
    calls[0]!.fail(new ParleyApiError(400, { code: 50035, message: 'Too long' }));
    await settle();
    expect(calls[1]!.body.content).toBe('fine');
    calls[1]!.answer(2);
    await settle();
    expect(view()).toEqual([['too long', 'failed']]);
  });
});

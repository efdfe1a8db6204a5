import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JanusClient, JanusError } from './janus';

/** Janus's answers to room administration, counted (the connection itself is sfu.test.ts's business, with a real Janus). */
function clientAnswering(answer: (body: Record<string, unknown>) => Promise<Record<string, unknown>>) {
  const client = new JanusClient({ url: 'ws://127.0.0.1:1', apiSecret: 'secret', adminKey: 'admin' }, { warn: () => undefined } as unknown as FastifyBaseLogger);
  const request = vi.spyOn(client as unknown as { request: typeof answer }, 'request').mockImplementation(answer);
  return { client, creates: () => request.mock.calls.filter(([body]) => body.request === 'create').length };
}

afterEach(() => vi.restoreAllMocks());

describe('JanusClient.ensureRoom', () => {
  it('creates a room once for people joining together', async () => {
    let created!: () => void;
    const { client, creates } = clientAnswering(() => new Promise((resolve) => (created = () => resolve({}))));
    const joins = [client.ensureRoom('1', 16), client.ensureRoom('1', 16), client.ensureRoom('1', 16)];
    created();
    await Promise.all(joins);
    await client.ensureRoom('1', 16);
    expect(creates()).toBe(1);
  });

  it('takes a room that exists already, and asks again after a create that failed', async () => {
    const answers: (Error | null)[] = [new JanusError('Room exists', 427), new Error('Janus went away'), null];
    const { client, creates } = clientAnswering(async () => {
      const failure = answers.shift();
      if (failure) throw failure;
      return {};
    });
    await client.ensureRoom('1', 16);
    await expect(client.ensureRoom('2', 16)).rejects.toThrow('Janus went away');
    await client.ensureRoom('2', 16);
    expect(creates()).toBe(3);
  });
});

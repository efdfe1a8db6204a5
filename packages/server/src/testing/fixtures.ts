import { randomBytes } from 'node:crypto';
import { type Role, routes, type RegisterBody, type Snowflake } from '@parley/protocol';
import { ParleyApiError, type RestClient } from '@parley/sdk';
import { expect } from 'vitest';
import sharp from 'sharp';
import type { TestServer } from './server';

/** A username no other test in the run has used. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Registers a fresh user and returns a client signed in as them. */
export async function signUp(server: TestServer, body: Partial<RegisterBody> = {}): Promise<{ client: RestClient; username: string; password: string; userId: string }> {
  const username = body.username ?? uniqueName();
  const password = body.password ?? 'correct horse battery';
  const { token, user_id } = await server.client().request(routes.auth.register, { body: { ...body, username, password } });
  return { client: server.client(token), username, password, userId: user_id };
}

/** A real image of the given format, made with sharp. */
export async function makeImage(format: 'png' | 'jpeg' | 'webp' | 'gif', size = 64): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .toFormat(format)
    .toBuffer();
}

/** Bytes as an upload body with a declared type (which the server does not trust). */
export function blobOf(bytes: Uint8Array | string, type: string): Blob {
  return new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type });
}

/** The ParleyApiError a call rejects with (fails the test if it succeeds or fails otherwise). */
export async function failure(promise: Promise<unknown>): Promise<ParleyApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ParleyApiError);
  return error as ParleyApiError;
}

export type Person = Awaited<ReturnType<typeof signUp>>;

/** A server owned by a new user, with its #general channel, and `members` more users joined by invite. */
export async function makeGuild(server: TestServer, options: { members?: number; name?: string } = {}) {
  const owner = await signUp(server);
  const guild = await owner.client.request(routes.guilds.create, { body: { name: options.name ?? 'Test Server' } });
  const channels = await owner.client.request(routes.guilds.listChannels, { params: { guild_id: guild.id } });
  const general = channels.find((c) => c.name === 'general')!;
  const members: Person[] = [];
  for (let i = 0; i < (options.members ?? 0); i++) members.push(await joinGuild(server, owner, general.id));
  return { owner, guild, general, members };
}

/** A server of its owner and `guests` guests (joined through one invite): more than 50 makes it large (the default large_threshold). */
export async function crowdedGuild(server: TestServer, guests: number) {
  const made = await makeGuild(server, { name: 'Crowd' });
  const invite = await made.owner.client.request(routes.invites.create, { params: { channel_id: made.general.id }, body: { max_uses: 0 } });
  const joined: { token: string; id: Snowflake }[] = [];
  for (let i = 0; i < guests; i++) {
    const { token, user } = await server.client().request(routes.auth.guest, { body: {} });
    await server.client(token).request(routes.invites.accept, { params: { code: invite.code } });
    joined.push({ token, id: user.id });
  }
  return { ...made, guests: joined };
}

/** A new user who joins the server through a fresh invite to `channelId`. */
export async function joinGuild(server: TestServer, inviter: Person, channelId: string): Promise<Person> {
  const person = await signUp(server);
  const invite = await inviter.client.request(routes.invites.create, { params: { channel_id: channelId as never }, body: {} });
  await person.client.request(routes.invites.accept, { params: { code: invite.code } });
  return person;
}

/** A role holding `permissions` (created just above @everyone) given to `person` by the guild's owner. */
export async function giveRole(owner: Person, guildId: Snowflake, person: Person, permissions: string, name = 'Mods'): Promise<Role> {
  const role = await owner.client.request(routes.roles.create, { params: { guild_id: guildId }, body: { name, permissions } });
  await owner.client.request(routes.roles.addToMember, { params: { guild_id: guildId, user_id: person.userId as Snowflake, role_id: role.id } });
  return role;
}

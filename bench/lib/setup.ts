import { ChannelType, type Snowflake, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';

/** A bench user: a guest with its session token. */
export interface BenchUser {
  id: Snowflake;
  token: string;
}

/** A guild ready for load: its text channel and the users in it (the first one owns it). */
export interface BenchGuild {
  guildId: Snowflake;
  channelId: Snowflake;
  members: BenchUser[];
}

/**
 * Runs `task` over `items` with at most `concurrency` at a time, in order of start; the first
 * failure stops new starts and is rethrown.
 */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < items.length && failed === null) {
      const index = next++;
      try {
        results[index] = await task(items[index]!, index);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed !== null) throw failed;
  return results;
}

/** `count` guest users (no password hashing: the quickest identity Parley hands out). */
export async function createGuests(baseUrl: string, count: number, concurrency = 16): Promise<BenchUser[]> {
  const anonymous = new RestClient({ baseUrl });
  return mapConcurrent(Array.from({ length: count }), concurrency, async () => {
    const { token, user } = await anonymous.request(routes.auth.guest, { body: {} });
    return { id: user.id, token };
  });
}

/**
 * One guild created by `owner`, joined by every other user through an unlimited invite, as
 * people join: the invite is created and accepted over the API.
 */
export async function createGuild(baseUrl: string, owner: BenchUser, joiners: readonly BenchUser[], name = 'bench', concurrency = 16): Promise<BenchGuild> {
  const rest = new RestClient({ baseUrl, token: owner.token });
  const guild = await rest.request(routes.guilds.create, { body: { name } });
  const channels = await rest.request(routes.guilds.listChannels, { params: { guild_id: guild.id } });
  const text = channels.find((c) => c.type === ChannelType.GUILD_TEXT);
  if (!text) throw new Error('A new guild should come with a text channel');
  const invite = await rest.request(routes.invites.create, { params: { channel_id: text.id }, body: { max_age: 0, max_uses: 0 } });
  await mapConcurrent(joiners, concurrency, async (user) => {
    await new RestClient({ baseUrl, token: user.token }).request(routes.invites.accept, { params: { code: invite.code } });
  });
  return { guildId: guild.id, channelId: text.id, members: [owner, ...joiners] };
}

/** Splits users into guilds of `size` (the first of each group owns it). */
export async function createGuilds(baseUrl: string, users: readonly BenchUser[], size: number): Promise<BenchGuild[]> {
  const guilds: BenchGuild[] = [];
  for (let start = 0; start < users.length; start += size) {
    const group = users.slice(start, start + size);
    guilds.push(await createGuild(baseUrl, group[0]!, group.slice(1), `bench-${guilds.length}`));
  }
  return guilds;
}

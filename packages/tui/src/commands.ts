import { type Message, type PresenceStatus, type Snowflake, ChannelType } from '@parley/protocol';
import { type MessageHistory, type ParleyClient, mentionsAsNames, routes } from '@parley/sdk';
import { download, fetchBytes, saveFile } from './download';
import type { TerminalEncryption } from './encryption';
import { deleteProfile } from './profile';
import { displayName, namesIn } from './rows';
import { sanitize } from './sanitize';
import type { Entry } from './sidebar';

/** The slash commands, as /help shows them. */
const HELP = [
  '/go <#channel | @user | server | thread>  open it',
  '/join <invite code or link>   join a server',
  '/dm <@username | user id> [encrypted]  open a DM (end-to-end encrypted)',
  '/nick [name]                  your nickname here (empty: none)',
  '/status <online|idle|dnd|invisible>',
  '/react <emoji>                react to the last message',
  '/search <words>               search this server or DM',
  '/jump <n>                     open search result n in context',
  '/thread [name]                open the latest thread here',
  '/download <file name> [dir]   save an attachment shown here',
  '/recover <recovery key or passphrase>  read encrypted history sent before this terminal',
  '/leave                        leave this server (asks first)',
  '/logout                       sign out and forget this session',
  '/quit                         leave (Ctrl+C too)',
];

const STATUSES: readonly PresenceStatus[] = ['online', 'idle', 'dnd', 'invisible'];

/** The invite code of a code or an invite link (https://host/invite/CODE). */
export function inviteCode(input: string): string {
  const trimmed = input.trim().replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** What a command may use and change in the client. */
export interface CommandContext {
  client: ParleyClient;
  history: MessageHistory;
  encryption: TerminalEncryption;
  /** The open channel. */
  current: Snowflake | null;
  /** The side list's channels and DMs. */
  channels: Extract<Entry, { kind: 'channel' }>[];
  open(channelId: Snowflake): Promise<void>;
  /** Opens a channel at a message, scrolled to it. */
  jump(channelId: Snowflake, messageId: Snowflake): Promise<void>;
  /** Shows text in place of the history until Escape. */
  notice(text: string): void;
  /** Streams an attachment's link (made absolute against the server) with the trusted connection. */
  fetchFile: typeof fetch;
  server: string;
  exit(): void;
}

/** Per session: the last search's results (for /jump) and a /leave waiting for its confirmation. */
export interface CommandMemory {
  results: Message[];
  leaving: Snowflake | null;
}

/** Runs one slash command; what it has to say goes to `ctx.notice`. */
export async function runCommand(line: string, ctx: CommandContext, memory: CommandMemory): Promise<void> {
  const [name = '', ...rest] = line.slice(1).split(' ');
  const arg = rest.join(' ').trim();
  const { client, history, current } = ctx;
  const channel = current ? client.cache.channels.get(current) : undefined;
  const guildId = channel?.guild_id ?? null;
  if (name !== 'leave') memory.leaving = null;

  switch (name) {
    case 'help':
      return ctx.notice(HELP.join('\n'));
    case 'quit':
      return ctx.exit();
    case 'join': {
      if (!arg) return ctx.notice('Usage: /join <invite code or link>');
      const invite = await client.rest.request(routes.invites.accept, { params: { code: inviteCode(arg) } });
      return ctx.notice(`Joined ${sanitize(invite.guild?.name ?? 'the server')}`);
    }
    case 'go': {
      const wanted = arg.replace(/^[#@]/, '').toLowerCase();
      const bare = (label: string) => label.replace(/^[#●○] ?/, '').toLowerCase();
      const found = ctx.channels.find((c) => bare(c.label) === wanted) ?? (wanted ? ctx.channels.find((c) => bare(c.label).includes(wanted)) : undefined);
      const thread = [...client.cache.channels.values()].find((c) => isThread(c.type) && (c.name ?? '').toLowerCase() === wanted);
      const guild = [...client.cache.guilds.values()].find((g) => g.name.toLowerCase() === wanted);
      const target = found?.id ?? thread?.id ?? (guild && ctx.channels.find((c) => c.guildId === guild.id)?.id);
      if (target) return ctx.open(target);
      return ctx.notice(`No channel, DM, thread or server called ${sanitize(arg)}`);
    }
    case 'dm': {
      const [who = '', option = ''] = arg.split(/\s+/);
      if (option && option !== 'encrypted') return ctx.notice('Usage: /dm <@username | user id> [encrypted]');
      const username = who.replace(/^@/, '').toLowerCase();
      const known = [...client.cache.members.values()].flatMap((members) => [...members.values()]).find((m) => m.user.username.toLowerCase() === username);
      const recipient = known?.user.id ?? who;
      if (!/^\d{1,20}$/.test(recipient)) return ctx.notice(`Nobody called ${sanitize(who)} in your servers: /dm takes a username or a user ID`);
      const dm = await client.rest.request(routes.channels.openDm, { body: { recipient_id: recipient as Snowflake, ...(option && { e2ee: true }) } });
      if (dm.e2ee) await ctx.encryption.start();
      client.cache.channels.set(dm.id, dm);
      return ctx.open(dm.id);
    }
    case 'nick': {
      if (!guildId) return ctx.notice('Nicknames are per server: open a server channel first');
      await client.rest.request(routes.guilds.updateOwnMember, { params: { guild_id: guildId }, body: { nick: arg || null } });
      return ctx.notice(arg ? `Your nickname here is now ${sanitize(arg)}` : 'Nickname removed');
    }
    case 'status': {
      const status = arg as PresenceStatus;
      if (!STATUSES.includes(status)) return ctx.notice(`Usage: /status <${STATUSES.join('|')}>`);
      client.gateway.updatePresence(status);
      return ctx.notice(`Status: ${status}`);
    }
    case 'react': {
      const last = current && history.state.channels.get(current)?.messages.at(-1);
      if (!last || !arg) return ctx.notice(last ? 'Usage: /react <emoji>' : 'No message to react to');
      // In an encrypted conversation the emoji is sealed (the server counts it without reading it).
      const emoji = await ctx.encryption.reaction(last, arg);
      await client.rest.request(routes.messages.addReaction, { params: { channel_id: last.channel_id, message_id: last.id, emoji } });
      return;
    }
    case 'search': {
      if (!arg || !current) return ctx.notice('Usage: /search <words>, in a server or DM');
      // The server cannot search what it cannot read: an encrypted conversation is searched here.
      const found = ctx.encryption.isEncrypted(current)
        ? await ctx.encryption.searchHere(current, arg)
        : guildId
          ? await client.rest.request(routes.messages.searchGuild, { params: { guild_id: guildId }, query: { content: arg } })
          : await client.rest.request(routes.messages.searchChannel, { params: { channel_id: current }, query: { content: arg } });
      memory.results = found.messages;
      if (!found.messages.length) return ctx.notice(`Nothing found for ${sanitize(arg)}`);
      const lines = found.messages.map((m, i) => {
        // Results from this terminal's own search carry their opened text already.
        const where = client.cache.channels.get(m.channel_id)?.name;
        const text = sanitize(mentionsAsNames(m.content ?? '', namesIn(client.cache, m.guild_id, m))).replace(/\s+/g, ' ');
        return `${i + 1}. ${where ? `#${sanitize(where)} ` : ''}${displayName(client.cache, m.author.id, m.guild_id, m.author)}: ${text}`;
      });
      return ctx.notice([`${found.total_results} found for ${sanitize(arg)} (/jump <n> opens one):`, ...lines].join('\n'));
    }
    case 'jump': {
      const result = memory.results[Number(arg) - 1];
      if (!result) return ctx.notice(memory.results.length ? `Usage: /jump <1–${memory.results.length}>` : 'Search first: /search <words>');
      return ctx.jump(result.channel_id, result.id);
    }
    case 'thread': {
      const messages = current ? (history.state.channels.get(current)?.messages ?? []) : [];
      const wanted = arg.toLowerCase();
      const withThread = [...messages].reverse().find((m) => m.thread && (!wanted || (m.thread.name ?? '').toLowerCase().includes(wanted)));
      if (!withThread?.thread) return ctx.notice(wanted ? `No thread called ${sanitize(arg)} here` : 'No thread in this channel’s loaded history');
      if (!client.cache.channels.has(withThread.thread.id)) client.cache.channels.set(withThread.thread.id, withThread.thread);
      return ctx.open(withThread.thread.id);
    }
    case 'download': {
      const messages = current ? (history.state.channels.get(current)?.messages ?? []) : [];
      // Files as shown: an encrypted message's under the names its opened text gives them.
      const files = messages.flatMap((message) =>
        (message.attachments ?? []).map((attachment, index) => ({
          message,
          attachment,
          index,
          name: message.encrypted ? (ctx.encryption.show(message).files?.[index]?.name ?? '') : attachment.filename,
        })),
      );
      const named = (wanted: string) => [...files].reverse().find((f) => f.name && sanitize(f.name) === wanted);
      // The whole argument is a file name when one is called that (names may hold spaces); else its last word is the folder.
      const [fileName = '', dir = '.'] = named(arg) ? [arg] : splitLastWord(arg);
      const file = named(fileName);
      if (!file) return ctx.notice(fileName ? `No file called ${sanitize(fileName)} in this channel’s loaded history` : 'Usage: /download <file name> [folder]');
      ctx.notice(`Downloading ${sanitize(file.name)}…`);
      const url = new URL(file.attachment.url, ctx.server).href;
      const path = file.message.encrypted
        ? await saveFile(await ctx.encryption.openFile(file.message, file.index, await fetchBytes(ctx.fetchFile, url, file.name)), dir, file.name)
        : await download(ctx.fetchFile, url, dir, file.name);
      return ctx.notice(`Saved ${path}`);
    }
    case 'recover': {
      if (!arg) return ctx.notice('Usage: /recover <recovery key or passphrase> (set up in the web client’s settings)');
      ctx.notice('Opening the key backup…');
      await ctx.encryption.recover(arg);
      return ctx.notice('The key backup is open: encrypted history sent before this terminal reads here now.');
    }
    case 'leave': {
      if (!guildId) return ctx.notice('Open a channel of the server to leave first');
      const guild = client.cache.guilds.get(guildId);
      if (guild?.owner_id === client.cache.user?.id) return ctx.notice('You own this server: give it to someone else or delete it in the web client');
      if (memory.leaving !== guildId) {
        memory.leaving = guildId;
        return ctx.notice(`Leave ${sanitize(guild?.name ?? 'this server')}? Type /leave again to confirm, Escape to stay.`);
      }
      memory.leaving = null;
      await client.rest.request(routes.guilds.leave, { params: { guild_id: guildId } });
      return ctx.notice(`You left ${sanitize(guild?.name ?? 'the server')}`);
    }
    case 'logout':
      // This terminal's encryption device leaves the account and the disk, as a browser's does on signing out.
      await ctx.encryption.forget().catch(() => {});
      await client.rest.request(routes.auth.logout).catch(() => {});
      await deleteProfile();
      return ctx.exit();
    default:
      return ctx.notice(`Unknown command /${sanitize(name)}: /help lists them`);
  }
}

const isThread = (type: number) => type === ChannelType.PUBLIC_THREAD;

/**
 * `/download` arguments: a file name may contain spaces, so a last word is the folder only when
 * it looks like one (starts with `/`, `~`, `.`, or ends with `/`).
 */
function splitLastWord(arg: string): [string, string?] {
  const space = arg.lastIndexOf(' ');
  const last = space < 0 ? '' : arg.slice(space + 1);
  if (last && /^[/~.]|\/$/.test(last)) return [arg.slice(0, space).trim(), last.replace(/^~(?=\/|$)/, process.env.HOME ?? '~')];
  return [arg];
}

import type { Message, Snowflake } from '@parley/protocol';
import {
  MessageHistory,
  Outbox,
  reloadOnNewSession,
  type ParleyClient,
  UnreadTracker,
  composerOffer,
  decodeCustomEmoji,
  decodeMentions,
  encodeCustomEmoji,
  encodeMentions,
  findTrigger,
  mentionDirectory,
  permissionsInChannel,
  routes,
} from '@parley/sdk';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { type CommandMemory, runCommand } from './commands';
import { Completer } from './completion';
import { TerminalEncryption } from './encryption';
import { splitTyped } from './keys';
import type { Span } from './markdown';
import { displayName, rowsOf } from './rows';
import { sanitize } from './sanitize';
import { type Entry, sidebarEntries } from './sidebar';

const SIDEBAR_WIDTH = 24;
/** How long "… is typing" shows after the last TYPING_START (Discord's clients: about 8–10 s). */
const TYPING_SHOWN_MS = 8000;
const KEYS = 'Enter send · Alt+Enter newline · Tab complete/next channel · PgUp/PgDn scroll · ↑ edit last · Ctrl+S spoilers · /help';

interface Props {
  client: ParleyClient;
  /** Where attachments are fetched from, and how (the connection trusted for this server). */
  server: string;
  fetchFile: typeof fetch;
  /** Something to say when the client starts (e.g. a certificate pinned on first use). */
  greeting?: string | null;
}

function SpanText({ span }: { span: Span }) {
  return (
    <Text bold={span.bold ?? false} italic={span.italic ?? false} strikethrough={span.strike ?? false} color={span.code ? 'yellow' : undefined} dimColor={span.spoiler ?? false}>
      {span.text}
    </Text>
  );
}

export function App({ client, server, fetchFile, greeting = null }: Props) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [current, setCurrent] = useState<Snowflake | null>(null);
  const currentRef = useRef(current);
  currentRef.current = current;
  const [draft, setDraftState] = useState('');
  // Keys can arrive in one burst (a paste, tmux send-keys) before React re-renders: the ref is
  // what Enter reads, so it never sees a stale draft.
  const draftRef = useRef('');
  const setDraft = (next: string | ((d: string) => string)) => {
    draftRef.current = typeof next === 'function' ? next(draftRef.current) : next;
    setDraftState(draftRef.current);
  };
  const [editing, setEditing] = useState<Message | null>(null);
  const [scroll, setScroll] = useState(0);
  /** A message to bring into view (a search result): the scroll follows it until the user scrolls. */
  const [focus, setFocus] = useState<Snowflake | null>(null);
  const [spoilers, setSpoilers] = useState(false);
  const [notice, setNoticeState] = useState<string | null>(null);
  const [status, setStatusState] = useState<string | null>(greeting);
  // Whatever is said on screen (a server's error message, a name) is made inert first.
  const setNotice = (text: string | null) => setNoticeState(text === null ? null : sanitize(text));
  const setStatus = (text: string | null) => setStatusState(text === null ? null : sanitize(text));
  const [connection, setConnection] = useState(client.gateway.state);
  const typing = useRef(new Map<Snowflake, Map<Snowflake, number>>());
  const memory = useRef<CommandMemory>({ results: [], leaving: null });
  const completer = useMemo(() => new Completer(), []);
  // The SDK's history (paging, live events, gap filling), shared with the web client. Made while
  // rendering, before the effects below subscribe, so it has handled an event when we redraw.
  const history = useMemo(() => new MessageHistory(client.rest, client.gateway, { me: () => client.cache.user?.id ?? null }), [client]);
  // The SDK's unread and mention counting (the web client's): what arrives in the open channel is read at once.
  const unread = useMemo(() => new UnreadTracker(client.rest, client.gateway, { cache: () => client.cache.state, isViewing: (id) => id === currentRef.current }), [client]);
  // This terminal as a device of the account, for end-to-end encrypted conversations (started when one is in sight).
  const encryption = useMemo(() => new TerminalEncryption(client, () => setTimeout(redraw)), [client]);
  // The SDK's optimistic sends, one at a time in the order typed: offline, they wait and go once reconnected.
  // In an encrypted conversation each is sealed first (a message that cannot be sealed is not sent).
  const outbox = useMemo(
    () =>
      new Outbox(client.rest, client.gateway, { ordered: true, onConfirmed: (m) => history.add(m), seal: (channelId, content, files, editing) => encryption.seal(channelId, content, files, editing) }),
    [client, history, encryption],
  );

  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns, rows: stdout.rows });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);

  useEffect(() => {
    const { gateway } = client;
    for (const event of ['MESSAGE_CREATE', 'MESSAGE_UPDATE', 'MESSAGE_DELETE', 'MESSAGE_DELETE_BULK', 'MESSAGE_REACTION_ADD', 'MESSAGE_REACTION_REMOVE'] as const) gateway.on(event, redraw);
    // After a session that could not be resumed, the open channel's newest page is fetched again (the SDK's, as the web client does).
    reloadOnNewSession(history, gateway, () => currentRef.current, redraw);
    gateway.on('MESSAGE_CREATE', (m) => {
      typing.current.get(m.channel_id)?.delete(m.author.id);
    });
    gateway.on('TYPING_START', ({ channel_id, user_id }) => {
      if (user_id === client.cache.user?.id) return;
      const map = typing.current.get(channel_id) ?? new Map<Snowflake, number>();
      map.set(user_id, Date.now());
      typing.current.set(channel_id, map);
      redraw();
      // The indicator fades 8 seconds after the last news (no timer runs while nobody types).
      setTimeout(redraw, TYPING_SHOWN_MS + 50);
    });
    for (const event of ['PRESENCE_UPDATE', 'GUILD_CREATE', 'GUILD_DELETE', 'GUILD_MEMBER_UPDATE', 'CHANNEL_CREATE', 'CHANNEL_UPDATE', 'CHANNEL_DELETE', 'READY'] as const)
      gateway.on(event, () => setTimeout(redraw));
    // In an encrypted conversation, this terminal's device must exist before others seal for it.
    const startIfEncrypted = () => {
      if ([...client.cache.channels.values()].some((c) => c.e2ee)) void encryption.start().catch((e: Error) => setStatus(`Encryption: ${e.message}`));
    };
    startIfEncrypted();
    gateway.on('READY', () => setTimeout(startIfEncrypted));
    gateway.on('CHANNEL_CREATE', () => setTimeout(startIfEncrypted));
    // The open server went away (left, kicked, deleted): back to the first channel there is.
    gateway.on('GUILD_DELETE', ({ id }) => {
      const open = currentRef.current;
      if (open && client.cache.channels.get(open)?.guild_id === id) setTimeout(() => setCurrent(null));
    });
    gateway.on('state', (state) => {
      setConnection(state);
      if (state === 'ready') void outbox.resume().then(redraw);
    });
  }, [client, unread, outbox, history, encryption]);

  const entries = sidebarEntries(client.cache);
  const channels = entries.filter((e): e is Extract<Entry, { kind: 'channel' }> => e.kind === 'channel');

  // What to offer here, from the SDK's permission logic (the web client's): the server still decides.
  const openChannel = current ? client.cache.channels.get(current) : undefined;
  // A channel the cache does not hold yet (just after a fresh READY) is not read-only: the server decides.
  const canSend = openChannel ? composerOffer(openChannel, permissionsInChannel(client.cache, openChannel)).send : true;

  async function open(id: Snowflake, at?: Snowflake) {
    memory.current.leaving = null;
    setCurrent(id);
    setScroll(0);
    setFocus(at ?? null);
    setNotice(null);
    if (at) await history.jumpTo(id, at);
    else await history.openLatest(id);
    const log = history.log(id);
    if (log.error) setNotice(`Could not load history: ${log.error}`);
    const last = log.messages.at(-1);
    if (last && log.atPresent) unread.markRead(id, last.id);
    redraw();
  }

  // Open the first channel once the side list has one (and again when the open one is gone).
  const first = channels[0]?.id;
  useEffect(() => {
    if (!current && first) void open(first);
  });

  function move(delta: number) {
    if (channels.length === 0) return;
    const index = channels.findIndex((c) => c.id === current);
    const next = channels[(index + delta + channels.length) % channels.length];
    if (next) void open(next.id);
  }

  function submit() {
    const typed = draftRef.current.trim();
    setStatus(null);
    // Kept in the composer where it cannot be sent, so nothing typed is lost.
    if (typed && !typed.startsWith('/') && !editing && current && !canSend) return setStatus('You cannot send messages here.');
    setDraft('');
    const guildId = current ? client.cache.channels.get(current)?.guild_id : undefined;
    const serverEmoji = (guildId && client.cache.guilds.get(guildId)?.emojis) || [];
    const text = current ? encodeCustomEmoji(encodeMentions(typed, mentionDirectory(client.cache, current)), serverEmoji) : typed;
    if (editing) {
      const message = editing;
      setEditing(null);
      // Through the outbox: sealed again in an encrypted conversation.
      if (text) outbox.edit(message.channel_id, message.id, text).catch((e: Error) => setStatus(e.message));
      return;
    }
    if (!text) return;
    if (text.startsWith('/')) {
      const ctx = {
        client,
        history,
        encryption,
        current,
        channels,
        open: (id: Snowflake) => open(id),
        jump: (id: Snowflake, at: Snowflake) => open(id, at),
        notice: setNotice,
        fetchFile,
        server,
        exit,
      };
      return void runCommand(typed, ctx, memory.current)
        .catch((error: Error) => setNotice(error.message))
        .then(redraw);
    }
    memory.current.leaving = null;
    if (current) {
      setScroll(0);
      setFocus(null);
      void outbox.send(current, text).then(redraw);
      redraw();
    }
  }

  const historyHeight = Math.max(3, size.rows - 5);
  const mainWidth = Math.max(20, size.columns - SIDEBAR_WIDTH - 1);
  const timeline = current ? history.state.channels.get(current) : undefined;
  const rows = rowsOf(client.cache, timeline?.messages ?? [], current && !timeline?.hasNewer ? outbox.pending(current) : [], mainWidth, spoilers, encryption);
  const maxScroll = Math.max(0, rows.length - historyHeight);
  // A message jumped to stays in view (a third of the way down) until the reader scrolls.
  const focusRow = focus ? rows.findIndex((r) => r.messageId === focus) : -1;
  const offset = focusRow >= 0 ? Math.min(maxScroll, Math.max(0, rows.length - focusRow - Math.floor((historyHeight * 2) / 3))) : Math.min(scroll, maxScroll);
  const visible = rows.slice(Math.max(0, rows.length - historyHeight - offset), rows.length - offset);

  /** Tab completes the word being typed, else opens the next channel (Shift+Tab the one before). */
  function tab(shift: boolean) {
    const completed = !shift && current && draftRef.current ? completer.tab(client.cache, current, draftRef.current) : null;
    if (completed) {
      setDraft(completed.draft);
      return setStatus(completed.picks.length > 1 ? `Tab again: ${completed.picks.join(' ')}` : null);
    }
    // A large server's members are not all known here: ask the server for those matching, then Tab again.
    const trigger = findTrigger(draftRef.current, draftRef.current.length);
    const guildId = openChannel?.guild_id;
    if (trigger?.kind === '@' && guildId && !shift) {
      client.gateway.requestMembers(guildId, { query: trigger.query, limit: 25 });
      return setStatus(`Looking for @${trigger.query}… press Tab again`);
    }
    return move(shift ? -1 : 1);
  }

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return exit();
    if (key.tab) return tab(key.shift);
    if (key.pageUp) {
      const next = offset + historyHeight - 1;
      setFocus(null);
      setScroll(next);
      // Reaching the top of what is loaded fetches the page before it (lazily, any depth).
      if (next >= maxScroll && current && timeline?.hasOlder) void history.loadOlder(current).then(redraw);
      return;
    }
    if (key.pageDown) {
      const next = Math.max(0, offset - historyHeight + 1);
      setFocus(null);
      setScroll(next);
      // Back at the bottom of a run that ends in the past (after a jump): the newer page.
      if (next === 0 && current && timeline?.hasNewer) void history.loadNewer(current).then(redraw);
      return;
    }
    if (key.ctrl && input === 's') return setSpoilers((s) => !s);
    if (key.escape) {
      setEditing(null);
      setNotice(null);
      setStatus(null);
      memory.current.leaving = null;
      return setDraft('');
    }
    if (key.upArrow && draftRef.current === '' && timeline && current) {
      const mine = [...timeline.messages].reverse().find((m) => m.author.id === client.cache.user?.id);
      if (mine) {
        setEditing(mine);
        setDraft(decodeCustomEmoji(decodeMentions(encryption.show(mine).content, mentionDirectory(client.cache, current))));
      }
      return;
    }
    if (key.return) {
      if (key.meta) return setDraft((d) => d + '\n');
      return submit();
    }
    if (key.backspace || key.delete) return setDraft((d) => d.slice(0, -1));
    if (input && !key.ctrl && !key.meta) {
      for (const typed of splitTyped(input)) {
        if (typed.kind === 'enter') submit();
        else if (typed.kind === 'tab') tab(false);
        else if (typed.kind === 'backspace') setDraft((d) => d.slice(0, -1));
        else {
          // Controls are dropped, so a paste cannot smuggle them into a message.
          setDraft((d) => d + sanitize(typed.text));
          setStatus(null);
          if (current && !typed.text.startsWith('/') && draftRef.current === typed.text) client.rest.request(routes.channels.typing, { params: { channel_id: current } }).catch(() => {});
        }
      }
    }
  });

  const now = Date.now();
  const typers = [...(current ? (typing.current.get(current) ?? new Map<Snowflake, number>()) : new Map<Snowflake, number>())]
    .filter(([, at]) => now - at < TYPING_SHOWN_MS)
    .map(([id]) =>
      displayName(
        client.cache,
        id,
        openChannel?.guild_id,
        openChannel?.recipients?.find((u) => u.id === id),
      ),
    );
  const offline = connection !== 'ready';
  const queued = current ? outbox.pending(current).filter((p) => p.state === 'queued').length : 0;
  const title = channels.find((c) => c.id === current)?.label ?? (openChannel?.name ? `» ${sanitize(openChannel.name)}` : 'No channel');
  const draftLines = draft.split('\n');

  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <Box flexGrow={1}>
        <Box flexDirection="column" width={SIDEBAR_WIDTH} flexShrink={0} borderStyle="single" borderTop={false} borderBottom={false} borderLeft={false} overflow="hidden">
          {entries.slice(0, size.rows - 2).map((entry, i) => {
            if (entry.kind === 'heading')
              return (
                <Text key={`h${i}`} bold wrap="truncate">
                  {entry.label}
                </Text>
              );
            if (entry.kind === 'call')
              return (
                <Text key={`c${i}`} dimColor wrap="truncate">
                  {` ${entry.label}`}
                </Text>
              );
            const listed = client.cache.channels.get(entry.id);
            const mentions = unread.mentions(entry.id);
            const unreadCount = listed && unread.isUnread(listed) ? Math.max(1, client.cache.readStates.get(entry.id)?.unread_count ?? 0) : 0;
            const badge = mentions > 0 ? ` @${mentions}` : unreadCount > 0 ? ` ${unreadCount}` : '';
            return (
              <Text key={entry.id} inverse={entry.id === current} bold={unreadCount > 0} wrap="truncate">
                {` ${entry.label}`.slice(0, SIDEBAR_WIDTH - 2 - badge.length)}
                <Text color="red">{badge}</Text>
              </Text>
            );
          })}
        </Box>
        <Box flexDirection="column" flexGrow={1} paddingLeft={1}>
          <Text bold wrap="truncate">
            {title}
            {offset > 0 ? `  (scrolled up ${offset} lines)` : ''}
          </Text>
          <Box flexDirection="column" height={historyHeight} overflow="hidden">
            {notice ? (
              <Text color="cyan">{notice}</Text>
            ) : (
              visible.map((row) => (
                <Text key={row.key} wrap="truncate" dimColor={row.dim ?? false} color={row.quote ? 'gray' : row.codeBlock ? 'yellow' : undefined}>
                  {row.quote ? '│ ' : ''}
                  {row.spans.map((span, i) => (
                    <SpanText key={i} span={span} />
                  ))}
                </Text>
              ))
            )}
          </Box>
        </Box>
      </Box>
      <Text dimColor wrap="truncate">
        {status ?? (typers.length > 0 ? `${typers.join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…` : ' ')}
      </Text>
      <Text wrap="truncate" dimColor={!canSend && !editing}>
        {editing ? 'edit> ' : canSend ? '> ' : '(read only: commands only) > '}
        {draftLines.length > 1 ? `[${draftLines.length} lines] ` : ''}
        {draftLines.at(-1)}
        <Text inverse> </Text>
      </Text>
      <Text inverse={offline} color={offline ? 'red' : undefined} dimColor={!offline} wrap="truncate">
        {offline ? `offline — reconnecting${queued ? ` (${queued} queued)` : ''} · ` : ''}
        {KEYS}
      </Text>
    </Box>
  );
}

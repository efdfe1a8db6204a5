import { type Channel, type Emoji, Permissions, type Snowflake, type User, emojiImagePath } from '@parley/protocol';
import { type Ref, computed, nextTick, ref, shallowRef, watch } from 'vue';
import { roleColorHex } from '@parley/sdk';
import { useRealtime } from '../realtime/store';
import { LINKABLE_CHANNEL_NAME, type Trigger, applyCompletion, expandShortcode, findTrigger, fold, rankCandidates, searchCustomEmoji } from '@parley/sdk';
import { type EmojiTable, loadEmoji } from './emoji';
import { useMentionables } from './mentionDirectory';
import { usePeople } from './people';
import { usePermissions } from './permissions';

/** One line of the suggestion list and what picking it writes. */
export interface Suggestion {
  key: string;
  kind: 'user' | 'role' | 'everyone' | 'channel' | 'emoji';
  label: string;
  detail: string;
  insert: string;
  user?: User;
  emoji?: string;
  /** A custom emoji's image. */
  image?: string;
  /** A role's color (CSS), for its dot. */
  color?: string;
}

const LIMIT = 8;

/**
 * The composer's autocomplete: `@` people, roles that will notify (mentionable ones, or any
 * where you may mention everyone) and @everyone / @here where allowed, `#` channels,
 * `:` emoji (the server's own first); and `:shortcode:` turning into its emoji as the closing colon is typed. The
 * composer calls `update` when the text or caret changes and gives it keys first.
 */
export function useComposerAutocomplete(options: { text: Ref<string>; input: Ref<HTMLTextAreaElement | null>; channel: () => Channel | null }) {
  const realtime = useRealtime();
  const people = usePeople();
  const permissions = usePermissions();
  const mentionables = useMentionables();
  const trigger = ref<Trigger | null>(null);
  const active = ref(0);
  /** Escape hides the list until the caret leaves this trigger. */
  const dismissedAt = ref<number | null>(null);
  const emoji = shallowRef<EmojiTable | null>(null);
  const asked = new Set<string>();
  let askTimer: ReturnType<typeof setTimeout> | null = null;

  /** Fetched when the composer is first focused, so `:` finds the table ready. */
  function prefetchEmoji(): void {
    if (!emoji.value)
      void loadEmoji().then(
        (table) => (emoji.value = table),
        () => undefined,
      );
  }

  /** The server's custom emoji, where the channel has a server. */
  function serverEmoji(): readonly Emoji[] {
    const guildId = options.channel()?.guild_id;
    return (guildId && realtime.cache?.guilds.get(guildId)?.emojis) || [];
  }

  const suggestions = computed<Suggestion[]>(() => {
    const t = trigger.value;
    const channel = options.channel();
    if (!t || !channel || dismissedAt.value === t.start) return [];
    if (t.kind === ':') {
      // Written `:name:`; sending turns it into the emoji (encodeCustomEmoji).
      const custom: Suggestion[] = searchCustomEmoji(serverEmoji(), t.query, LIMIT).map((e) => ({
        key: `custom:${e.id}`,
        kind: 'emoji',
        label: `:${e.name}:`,
        detail: 'This server',
        insert: `:${e.name}:`,
        image: emojiImagePath(e),
      }));
      const unicode: Suggestion[] = (emoji.value?.search(t.query, LIMIT) ?? []).map((e) => ({
        key: e.emoji,
        kind: 'emoji',
        label: `:${e.names[0]}:`,
        detail: e.names
          .slice(1)
          .map((n) => `:${n}:`)
          .join(' '),
        insert: e.emoji,
        emoji: e.emoji,
      }));
      return [...custom, ...unicode].slice(0, LIMIT + 4);
    }
    if (t.kind === '#') {
      if (!channel.guild_id) return [];
      const q = fold(t.query);
      const all = mentionables.channels(channel.guild_id);
      return all
        .filter((c) => fold(c.name ?? '').includes(q))
        .sort((a, b) => Number(!fold(a.name ?? '').startsWith(q)) - Number(!fold(b.name ?? '').startsWith(q)) || (a.position ?? 0) - (b.position ?? 0))
        .slice(0, LIMIT)
        .map((c) => {
          const unique = all.filter((other) => other.name === c.name).length === 1;
          return { key: c.id, kind: 'channel', label: `#${c.name}`, detail: c.private ? 'Private' : '', insert: unique && LINKABLE_CHANNEL_NAME.test(c.name ?? '') ? `#${c.name}` : `<#${c.id}>` };
        });
    }
    const candidates = mentionables.people(channel).map((user) => ({ id: user.id, username: user.username, name: people.nameOf(user, channel.guild_id), user }));
    const matches: Suggestion[] = rankCandidates(candidates, t.query, LIMIT).map((c) => ({ key: c.id, kind: 'user', label: c.name, detail: `@${c.username}`, insert: `@${c.username}`, user: c.user }));
    const mayMentionEveryone = !!channel.guild_id && permissions.can(permissions.inChannel(channel), Permissions.MENTION_EVERYONE);
    if (channel.guild_id) {
      const directory = mentionables.directory(channel.id);
      const q = fold(t.query);
      for (const role of mentionables.roles(channel.guild_id)) {
        if (!(role.mentionable || mayMentionEveryone) || !fold(role.name).startsWith(q)) continue;
        const insert = directory.roleIdByName(role.name) === role.id ? `@${role.name}` : `<@&${role.id}>`;
        matches.push({ key: role.id, kind: 'role', label: role.name, detail: 'Notifies everyone with this role', insert, color: role.color ? roleColorHex(role.color) : undefined });
      }
    }
    if (mayMentionEveryone) {
      const q = t.query.toLowerCase();
      const everyone: Suggestion[] = [
        { key: 'everyone', kind: 'everyone', label: '@everyone', detail: 'Everyone who can see this channel', insert: '@everyone' },
        { key: 'here', kind: 'everyone', label: '@here', detail: 'Everyone online who can see this channel', insert: '@here' },
      ];
      matches.push(...everyone.filter((e) => e.key.startsWith(q)));
    }
    return matches.slice(0, LIMIT + 4);
  });

  const open = computed(() => suggestions.value.length > 0);
  watch(suggestions, () => (active.value = 0));

  /** Re-reads the trigger at the caret; for `@` in a big server, asks the server for more people. */
  function update(): void {
    const el = options.input.value;
    const caret = el?.selectionStart ?? options.text.value.length;
    const next = el && el.selectionEnd === caret ? findTrigger(options.text.value, caret) : null;
    const current = trigger.value;
    if (next?.start !== current?.start) dismissedAt.value = null;
    // Unchanged (the caret moved within it, or a key of the list's own): keep the highlight.
    if (next?.kind === current?.kind && next?.query === current?.query && next?.start === current?.start) return;
    trigger.value = next;
    if (next?.kind === ':') prefetchEmoji();
    const guildId = options.channel()?.guild_id;
    if (next?.kind === '@' && next.query && guildId) askServer(guildId, next.query.toLowerCase());
  }

  function askServer(guildId: Snowflake, query: string): void {
    if (askTimer) clearTimeout(askTimer);
    if (suggestions.value.filter((s) => s.kind === 'user').length >= LIMIT || asked.has(`${guildId}:${query}`)) return;
    askTimer = setTimeout(() => {
      asked.add(`${guildId}:${query}`);
      realtime.requestMembers(guildId, query);
    }, 250);
  }

  /** After typing a colon: a known `:shortcode:` before the caret becomes its emoji. */
  async function expandAfterColon(): Promise<void> {
    const el = options.input.value;
    if (!el) return;
    const text = options.text.value;
    const caret = el.selectionStart;
    const table = emoji.value ?? (await loadEmoji().catch(() => null));
    if (!table || options.text.value !== text) return;
    emoji.value = table;
    // The server's own emoji keep their `:name:` (sent as the emoji), even where Unicode has the name too.
    const custom = new Set(serverEmoji().map((e) => e.name.toLowerCase()));
    const expanded = expandShortcode(text, caret, (name) => (custom.has(name) ? undefined : table.byName(name)));
    if (expanded) await replace(expanded);
  }

  async function replace(next: { text: string; caret: number }): Promise<void> {
    options.text.value = next.text;
    await nextTick();
    options.input.value?.setSelectionRange(next.caret, next.caret);
    options.input.value?.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function pick(index: number): void {
    const t = trigger.value;
    const choice = suggestions.value[index];
    if (!t || !choice) return;
    trigger.value = null;
    void replace(applyCompletion(options.text.value, t, choice.insert)).then(() => options.input.value?.focus());
  }

  /** Keys the list handles while open; true when the composer should do nothing more. */
  function onKeydown(event: KeyboardEvent): boolean {
    // Modified keys are shortcuts (Alt+Up moves between channels), not the list's.
    if (!open.value || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return false;
    const count = suggestions.value.length;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      active.value = (active.value + (event.key === 'ArrowDown' ? 1 : count - 1)) % count;
    } else if ((event.key === 'Enter' && !event.shiftKey) || (event.key === 'Tab' && !event.shiftKey)) {
      pick(active.value);
    } else if (event.key === 'Escape') {
      dismissedAt.value = trigger.value?.start ?? null;
    } else {
      return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }

  function close(): void {
    trigger.value = null;
  }

  return { suggestions, open, active, trigger, update, onKeydown, pick, close, expandAfterColon, prefetchEmoji };
}

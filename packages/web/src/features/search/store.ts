import { type Message, type Snowflake, routes } from '@parley/protocol';
import { LatestOnly } from '@parley/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, errorMessage } from '../../api';
import { useE2ee } from '../e2ee/store';
import { useRealtime } from '../realtime/store';
import { searchWords } from './searchText';

/** Where a search looks: a whole server (the channels you can read), or one DM. */
export type SearchScope = { kind: 'guild'; guildId: Snowflake } | { kind: 'channel'; channelId: Snowflake };

/** Filters in effect, by ID; days are YYYY-MM-DD in the user's time zone. */
export interface SearchFilters {
  authorId?: Snowflake;
  channelId?: Snowflake;
  has?: 'file' | 'image';
  after?: string;
  before?: string;
}

export const PAGE_SIZE = 25;

/** Local midnight of a day, as the instant the API filters on. */
function startOfDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!).toISOString();
}

/**
 * The search panel's state: what was asked, in which scope, the page of results shown. It lives
 * in a store so the results stay while the user jumps from one to the next.
 */
export const useSearch = defineStore('search', () => {
  const open = ref(false);
  const scope = ref<SearchScope | null>(null);
  const words = ref('');
  const filters = ref<SearchFilters>({});
  const page = ref(0);
  const results = ref<Message[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Set once a search ran, so "no results" is not shown before the first one. */
  const searched = ref(false);
  const latest = new LatestOnly();
  const realtime = useRealtime();
  const e2ee = useE2ee();

  const highlightWords = computed(() => searchWords(words.value));
  const hasCriteria = computed(() => words.value.trim() !== '' || Object.values(filters.value).some((v) => v !== undefined));
  const pages = computed(() => Math.max(1, Math.ceil(total.value / PAGE_SIZE)));

  const scopeKey = (s: SearchScope | null) => (s ? (s.kind === 'guild' ? `g${s.guildId}` : `c${s.channelId}`) : '');

  /** Runs the search for the current words and filters, from its first page unless told. */
  async function run(at = 0): Promise<void> {
    if (!scope.value || !hasCriteria.value) return;
    open.value = true;
    page.value = at;
    loading.value = true;
    error.value = null;
    const isLatest = latest.begin();
    const f = filters.value;
    const query = {
      limit: PAGE_SIZE,
      offset: at * PAGE_SIZE,
      ...(words.value.trim() && { content: words.value.trim() }),
      ...(f.authorId && { author_id: f.authorId }),
      ...(f.has && { has: f.has }),
      ...(f.after && { after: startOfDay(f.after) }),
      ...(f.before && { before: startOfDay(f.before) }),
    };
    try {
      const s = scope.value;
      // An end-to-end encrypted conversation is searched on this device: the server cannot read it.
      const only = s.kind === 'channel' ? s.channelId : f.channelId;
      const answer =
        only && realtime.cache?.channels.get(only)?.e2ee
          ? await e2ee.searchLocally(only, query)
          : s.kind === 'guild'
            ? await api.request(routes.messages.searchGuild, { params: { guild_id: s.guildId }, query: { ...query, ...(f.channelId && { channel_id: f.channelId }) } })
            : await api.request(routes.messages.searchChannel, { params: { channel_id: s.channelId }, query });
      // A newer search (typing fast, paging) wins over one that answers late.
      if (!isLatest()) return;
      results.value = answer.messages;
      total.value = answer.total_results;
      searched.value = true;
    } catch (e) {
      if (isLatest()) error.value = errorMessage(e);
    } finally {
      if (isLatest()) loading.value = false;
    }
  }

  /** Moves to another server or conversation: what was found elsewhere no longer applies. */
  function setScope(next: SearchScope): void {
    if (scopeKey(next) === scopeKey(scope.value)) return;
    scope.value = next;
    close();
    words.value = '';
    filters.value = {};
  }

  function close(): void {
    latest.cancel();
    open.value = false;
    loading.value = false;
    results.value = [];
    total.value = 0;
    searched.value = false;
    error.value = null;
  }

  return { open, scope, words, filters, page, pages, results, total, loading, error, searched, highlightWords, hasCriteria, run, setScope, close };
});

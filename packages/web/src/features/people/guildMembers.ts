import { type Member, type Snowflake, routes } from '@parley/protocol';
import { computed, onMounted, ref, watch } from 'vue';
import { api, errorMessage } from '../../api';
import { useRealtime } from '../realtime/store';

/** Most members one page of GET /guilds/{id}/members brings. */
const PAGE = 1000;

/**
 * A server's members for the member list and the settings screens: every member, read from the live cache (so
 * role changes, timeouts, joins and leaves by anyone show at once); GUILD_CREATE carries only
 * the first members, so the rest are fetched page by page into the cache on mount.
 */
export function useGuildMembers(guildId: () => Snowflake) {
  const realtime = useRealtime();
  const loading = ref(false);
  const error = ref<string | null>(null);
  const members = computed<Member[]>(() => [...(realtime.cache?.members.get(guildId())?.values() ?? [])]);

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      let after: Snowflake | undefined;
      for (;;) {
        const page = await api.request(routes.guilds.listMembers, { params: { guild_id: guildId() }, query: { limit: PAGE, ...(after && { after }) } });
        const known = realtime.cache?.members.get(guildId());
        // The cache may hold a newer version (an event that overtook this page): keep it.
        for (const member of page) if (known && !known.has(member.user.id)) known.set(member.user.id, member);
        if (page.length < PAGE) break;
        after = page.at(-1)!.user.id;
      }
    } catch (e) {
      error.value = `Could not load the members: ${errorMessage(e)}`;
    } finally {
      loading.value = false;
    }
  }
  onMounted(load);
  watch(guildId, load);

  /** Also asks the gateway for members whose name starts with what was typed (they arrive in the cache). */
  function search(query: string): void {
    if (query.trim()) realtime.requestMembers(guildId(), query.trim());
  }

  return { members, loading, error, search };
}

import { type Channel, type Snowflake, routes } from '@parley/protocol';
import { onBeforeUnmount, ref, watch } from 'vue';
import { api } from '../../api';
import { useRealtime } from '../realtime/store';

/**
 * Who may read a channel, for its member panel: null for a public channel (the whole server),
 * the private channel's own members otherwise (loaded once, then kept current from
 * CHANNEL_MEMBER_ADD/REMOVE). Only a member of a private channel may see who is in it; for
 * anyone else it stays an empty list.
 */
export function useChannelMemberIds(channel: () => Channel) {
  const realtime = useRealtime();
  const ids = ref<Snowflake[] | null>(null);
  let loading = 0;

  async function load() {
    const current = channel();
    const attempt = ++loading;
    if (!current.private) {
      ids.value = null;
      return;
    }
    ids.value = [];
    if (!current.joined) return;
    const users = await api.request(routes.channels.listMembers, { params: { channel_id: current.id } }).catch(() => null);
    // A later channel (or a join, a leave) asked again meanwhile: that answer counts.
    if (attempt === loading && users) ids.value = users.map((u) => u.id);
  }
  watch(() => [channel().id, channel().private, channel().joined], load, { immediate: true });

  const stops = [
    realtime.on('CHANNEL_MEMBER_ADD', ({ channel_id, user }) => {
      if (channel_id === channel().id && ids.value && !ids.value.includes(user.id)) ids.value = [...ids.value, user.id];
    }),
    realtime.on('CHANNEL_MEMBER_REMOVE', ({ channel_id, user }) => {
      if (channel_id === channel().id && ids.value) ids.value = ids.value.filter((id) => id !== user.id);
    }),
  ];
  onBeforeUnmount(() => stops.forEach((stop) => stop()));
  return ids;
}

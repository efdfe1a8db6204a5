import { type Call, type Snowflake, routes } from '@parley/protocol';
import { defineStore } from 'pinia';
import { computed, reactive, watch } from 'vue';
import { api } from '../../../api';
import { useRealtime } from '../../realtime/store';
import { useCallStore } from '../call.store';
import { Ringtone } from './ringtone';
import { declineKey, incomingCalls, settleDecline } from './ringing';

/**
 * DM and group DM calls: which of them ring whom (from CALL_CREATE / CALL_UPDATE /
 * CALL_DELETE), the calls ringing this user (the incoming-call prompt shows them and the
 * ringtone plays while there are any), and the ring actions: accept, decline, ring again.
 */
export const useDmCalls = defineStore('dmCalls', () => {
  const realtime = useRealtime();
  const callStore = useCallStore();
  const calls = reactive(new Map<string, Call>());
  /** Calls declined on this device, hidden until the server's CALL_UPDATE confirms it. */
  const declined = reactive(new Set<string>());
  const ringtone = new Ringtone();

  function track(call: Call): void {
    calls.set(call.channel_id, call);
    settleDecline(declined, call, realtime.me?.id ?? null);
  }
  realtime.on('CALL_CREATE', ({ channel_id, message_id, ringing, region }) => track({ channel_id, message_id, ringing, region }));
  realtime.on('CALL_UPDATE', track);
  realtime.on('CALL_DELETE', ({ channel_id }) => calls.delete(channel_id));
  // A fresh session: the server sends CALL_CREATE again for every call still going on.
  realtime.on('READY', () => {
    calls.clear();
    declined.clear();
  });

  const incoming = computed(() => incomingCalls(calls.values(), realtime.me?.id ?? null, callStore.current?.channelId ?? null, declined));

  watch(
    () => incoming.value.length > 0,
    (ringing) => (ringing ? ringtone.start() : ringtone.stop()),
  );

  /** The DM's call as the server last described it (null when there is none). */
  function callIn(channelId: Snowflake): Call | null {
    return calls.get(channelId) ?? null;
  }

  function accept(channelId: Snowflake): Promise<void> {
    return callStore.join(channelId, null);
  }

  /** Stops ringing this user (on all their devices); the call goes on for the others. */
  async function decline(channelId: Snowflake): Promise<void> {
    const call = calls.get(channelId);
    if (call) declined.add(declineKey(call));
    await api.request(routes.calls.stopRinging, { params: { channel_id: channelId }, body: {} });
  }

  /** Rings the DM's recipients who are not in the call again (or just `userIds`). */
  async function ringAgain(channelId: Snowflake, userIds?: Snowflake[]): Promise<void> {
    await api.request(routes.calls.ring, { params: { channel_id: channelId }, body: userIds ? { recipients: userIds } : {} });
  }

  return { incoming, callIn, accept, decline, ringAgain };
});

import type { Channel, Snowflake, VoiceState } from '@parley/protocol';
import { ownStageOffer, setHand, setOwnSuppress, setSuppress, stageLayout, stageModerationOffer } from '@parley/sdk/stage';
import { computed } from 'vue';
import { api } from '../../../api';
import { usePermissions } from '../../chat/permissions';
import { useRealtime } from '../../realtime/store';
import { useCallStore } from '../call.store';

/**
 * A stage channel for the call view: its speakers, audience and raised hands, what you may do
 * (the SDK's stage.ts decides, from the live cache) and the requests that do it. A refusal shows
 * as the call's error; the gateway's VOICE_STATE_UPDATE moves people between the lists.
 */
export function useStage(channel: () => Channel) {
  const realtime = useRealtime();
  const call = useCallStore();
  const permissions = usePermissions();

  const layout = computed(() => stageLayout(call.voiceStates(channel().id)));
  const mine = computed(() => {
    const me = realtime.me?.id;
    return call.voiceStates(channel().id).find((s) => s.user_id === me) ?? null;
  });
  const offer = computed(() => (realtime.cache ? ownStageOffer(realtime.cache, channel(), mine.value, permissions.now()) : { raiseHand: false, lowerHand: false, stepDown: false, stepUp: false }));
  const moderationOf = (state: VoiceState) => (realtime.cache ? stageModerationOffer(realtime.cache, channel(), state, permissions.now()) : { inviteToSpeak: false, moveToAudience: false });

  async function attempt(request: () => Promise<void>): Promise<void> {
    try {
      await request();
    } catch (failure) {
      call.error = failure instanceof Error ? failure.message : String(failure);
    }
  }

  return {
    layout,
    mine,
    offer,
    moderationOf,
    raiseHand: () => attempt(() => setHand(api, channel(), true)),
    lowerHand: () => attempt(() => setHand(api, channel(), false)),
    /** Back to the audience (a speaker), or up to speak (a moderator in the audience). */
    setOwnSuppress: (suppress: boolean) => attempt(() => setOwnSuppress(api, channel(), suppress)),
    inviteToSpeak: (userId: Snowflake) => attempt(() => setSuppress(api, channel(), userId, false)),
    moveToAudience: (userId: Snowflake) => attempt(() => setSuppress(api, channel(), userId, true)),
  };
}

import { type Invite, routes } from '@parley/protocol';
import { ref, watch } from 'vue';
import type { Router } from 'vue-router';
import { api, errorMessage } from '../../api';

/** Where to go after signing in: the `next` a sign-in page was given, if it is a path here. */
function nextPath(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/channels/@me';
}

/** The invite code when `next` is an invite link's page (/invite/<code>), else null. */
export function inviteCodeIn(next: unknown): string | null {
  const match = typeof next === 'string' ? /^\/invite\/([A-Za-z0-9_-]{1,64})\/?$/.exec(next) : null;
  return match ? match[1]! : null;
}

/**
 * The invite a sign-in page was reached from, for showing where it leads (no sign-in needed to
 * look): null while loading or when there is none; `error` when it no longer works.
 */
export function useInvitePreview(code: () => string | null) {
  const invite = ref<Invite | null>(null);
  const error = ref<string | null>(null);
  watch(
    code,
    async (current) => {
      invite.value = null;
      error.value = null;
      if (!current) return;
      try {
        const found = await api.request(routes.invites.get, { params: { code: current }, query: { with_counts: 'true' } });
        if (code() === current) invite.value = found;
      } catch (e) {
        if (code() === current) error.value = errorMessage(e);
      }
    },
    { immediate: true },
  );
  return { invite, error };
}

/**
 * After signing in, registering or continuing as a guest: an invite they came with is accepted
 * and they land in its server; otherwise they go where they were headed. Should joining fail
 * (used up meanwhile), the invite page says why.
 */
export async function enterAfterSignIn(router: Router, next: unknown): Promise<void> {
  const code = inviteCodeIn(next);
  if (code) {
    try {
      const accepted = await api.request(routes.invites.accept, { params: { code } });
      await router.replace(`/channels/${accepted.guild.id}/${accepted.channel.id}`);
      return;
    } catch {
      // The invite page explains what went wrong and offers to try again.
    }
  }
  await router.replace(nextPath(next));
}

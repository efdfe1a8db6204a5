import type { LoginBody } from '@parley/protocol';
import { type PasskeyPrompt, SignInFlow, type SignInState } from '@parley/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../../api';
import { useAuthStore } from './store';

/**
 * The sign-in in progress: the sdk's state machine (password, then a second factor when the
 * account has 2FA, or a passkey alone). Its own store, used by the sign-in screen only, so the
 * chat screen's initial bundle does not carry it.
 */
export const useSignIn = defineStore('sign-in', () => {
  const auth = useAuthStore();
  const flow = new SignInFlow(api);
  const state = ref<SignInState>(flow.state);

  /** Runs one step; the state follows the flow's even when the step fails (an expired ticket goes back to the password). */
  async function step(run: () => Promise<SignInState>): Promise<boolean> {
    try {
      const next = await run();
      if (next.step === 'signed-in') {
        flow.restart();
        await auth.signIn(next.token);
      }
      return next.step === 'signed-in';
    } finally {
      state.value = flow.state;
    }
  }

  /** True when signed in; false when the account now asks for its second factor (`state` says which). */
  const password = (body: LoginBody) => step(() => flow.password(body));
  const code = (value: string) => step(() => flow.code(value));
  const passkey = (prompt: PasskeyPrompt) => step(() => flow.passkey(prompt));
  const passkeyAlone = (prompt: PasskeyPrompt) => step(() => flow.passkeyAlone(prompt));
  function restart() {
    state.value = flow.restart();
  }

  return { state, password, code, passkey, passkeyAlone, restart };
});

import { type InstanceInfo, type LoginBody, type PrivateUser, type RegisterBody, type UpdateMeBody, type UpgradeBody, routes } from '@parley/protocol';
import { type PasskeyPrompt, SignInFlow, type SignInState } from '@parley/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, isUnauthorized, saveToken } from '../../api';

/** Who is signed in, and what the instance allows before anyone is. */
export const useAuthStore = defineStore('auth', () => {
  const me = ref<PrivateUser | null>(null);
  const instance = ref<InstanceInfo | null>(null);
  const signedIn = computed(() => me.value !== null);

  async function loadInstance(): Promise<InstanceInfo> {
    instance.value = await api.request(routes.instance.info);
    return instance.value;
  }

  /** On start: if a token is stored, find out whose it is (a revoked one is forgotten). */
  async function restore(): Promise<void> {
    if (!api.token) return;
    try {
      me.value = await api.request(routes.users.getMe);
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
      saveToken(null);
    }
  }

  async function signIn(token: string): Promise<void> {
    saveToken(token);
    me.value = await api.request(routes.users.getMe);
  }

  /** The sign-in in progress: the sdk's state machine (password, then a second factor if the account has 2FA). */
  const flow = new SignInFlow(api);
  const signInState = ref<SignInState>(flow.state);

  /** Runs one step; the state follows the flow's even when the step fails (an expired ticket goes back to the password). */
  async function step(run: () => Promise<SignInState>): Promise<boolean> {
    try {
      const state = await run();
      if (state.step === 'signed-in') {
        flow.restart();
        await signIn(state.token);
      }
      return state.step === 'signed-in';
    } finally {
      signInState.value = flow.state;
    }
  }

  /** True when signed in; false when the account now asks for its second factor (signInState says which). */
  const login = (body: LoginBody) => step(() => flow.password(body));
  const loginWithCode = (code: string) => step(() => flow.code(code));
  const loginWithPasskey = (prompt: PasskeyPrompt) => step(() => flow.passkey(prompt));
  const loginWithPasskeyAlone = (prompt: PasskeyPrompt) => step(() => flow.passkeyAlone(prompt));
  function cancelSecondFactor() {
    signInState.value = flow.restart();
  }

  /** Turning 2FA on or off rotates this session's token (as Discord does): keep using the same session with it. */
  function tokenRotated(token: string, realtime: { setToken(token: string): void }) {
    saveToken(token);
    realtime.setToken(token);
  }

  async function register(body: RegisterBody) {
    await signIn((await api.request(routes.auth.register, { body })).token);
  }

  async function continueAsGuest() {
    const { token, user } = await api.request(routes.auth.guest);
    saveToken(token);
    me.value = user;
  }

  async function upgrade(body: UpgradeBody) {
    me.value = await api.request(routes.auth.upgrade, { body });
  }

  async function updateProfile(body: UpdateMeBody) {
    me.value = await api.request(routes.users.updateMe, { body });
  }

  async function uploadAvatar(file: File, onProgress: (fraction: number) => void, signal: AbortSignal) {
    me.value = await api.upload(routes.users.uploadAvatar, file, { onProgress: (sent, total) => onProgress(sent / total), signal });
  }

  async function logout() {
    try {
      await api.request(routes.auth.logout);
    } catch (error) {
      // Already signed out elsewhere: the outcome is the same.
      if (!isUnauthorized(error)) throw error;
    }
    forget();
  }

  /** Drops the local session (after logout, or when the server no longer accepts the token). */
  function forget() {
    saveToken(null);
    me.value = null;
  }

  return {
    me,
    instance,
    signedIn,
    signInState,
    loadInstance,
    restore,
    signIn,
    login,
    loginWithCode,
    loginWithPasskey,
    loginWithPasskeyAlone,
    cancelSecondFactor,
    tokenRotated,
    register,
    continueAsGuest,
    upgrade,
    updateProfile,
    uploadAvatar,
    logout,
    forget,
  };
});

import { type InstanceInfo, type PrivateUser, type RegisterBody, type UpdateMeBody, type UpgradeBody, routes } from '@parley/protocol';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, isUnauthorized, saveToken } from '../../api';
import { useE2ee } from '../e2ee/store';

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
    // This browser's encryption keys go with the session (a shared computer keeps nothing to read).
    await useE2ee()
      .forgetDevice()
      .catch((error: unknown) => console.error('Could not remove the encryption device:', error));
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
    loadInstance,
    restore,
    signIn,
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

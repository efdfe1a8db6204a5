import { computed, ref, watchEffect } from 'vue';

export type ThemePreference = 'light' | 'dark' | 'system';

const STORAGE_KEY = 'parley.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');
const systemDark = ref(media.matches);
media.addEventListener('change', (event) => (systemDark.value = event.matches));

/** The user's choice, remembered per browser; "system" follows the OS setting live. */
export const themePreference = ref<ThemePreference>((localStorage.getItem(STORAGE_KEY) as ThemePreference | null) ?? 'system');

/** The theme in effect: the choice, or the OS setting for "system". */
export const activeTheme = computed<'light' | 'dark'>(() => (themePreference.value === 'system' ? (systemDark.value ? 'dark' : 'light') : themePreference.value));

watchEffect(() => {
  document.documentElement.dataset.theme = activeTheme.value;
  localStorage.setItem(STORAGE_KEY, themePreference.value);
});

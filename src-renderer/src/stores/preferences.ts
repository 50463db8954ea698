// What the person chose for this browser: the theme (following the OS unless told otherwise).
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

export type ThemeChoice = 'system' | 'light' | 'dark';
const THEME_KEY = 'flotilla.theme';

function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export const usePreferencesStore = defineStore('preferences', () => {
  const theme = ref<ThemeChoice>(storedTheme());

  const applyTheme = (choice: ThemeChoice) => {
    const root = document.documentElement;
    if (choice === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', choice);
  };

  watch(
    theme,
    (choice) => {
      applyTheme(choice);
      try {
        if (choice === 'system') localStorage.removeItem(THEME_KEY);
        else localStorage.setItem(THEME_KEY, choice);
      } catch {
        // storage may be unavailable (private mode): the choice still applies for this page
      }
    },
    { immediate: true },
  );

  return { theme };
});

// Who is signed in: the session obtained from a one-time login link, and why it ended if it did.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { clearSession, endSession, exchangeLoginToken, readSession, writeSession } from '../api/session';
import type { StoredSession } from '../api/session';

export const useSessionStore = defineStore('session', () => {
  const session = ref<StoredSession | undefined>(readSession());
  /** Why the person was sent back to the login page (shown there). */
  const endedReason = ref<string | undefined>();
  const signedIn = computed(() => session.value !== undefined);
  const user = computed(() => session.value?.user ?? '');

  async function login(loginToken: string): Promise<void> {
    const s = await exchangeLoginToken(loginToken);
    writeSession(s);
    session.value = s;
    endedReason.value = undefined;
  }

  /** The server no longer accepts the token (expired, revoked, or the server restarted). */
  function expire(reason: string): void {
    if (!session.value) return;
    clearSession();
    session.value = undefined;
    endedReason.value = reason;
  }

  async function logout(): Promise<void> {
    const token = session.value?.token;
    clearSession();
    session.value = undefined;
    endedReason.value = 'You signed out.';
    if (token) await endSession(token);
  }

  return { session, endedReason, signedIn, user, login, expire, logout };
});

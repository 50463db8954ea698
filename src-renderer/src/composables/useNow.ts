// One ticking clock for every "age" column: a single timer however many rows show an age.
import { onScopeDispose, ref } from 'vue';
import type { Ref } from 'vue';

const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

export function useNow(intervalMs = 1000): Ref<number> {
  users++;
  if (timer === undefined) timer = setInterval(() => (now.value = Date.now()), intervalMs);
  onScopeDispose(() => {
    users--;
    if (users === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  });
  return now;
}

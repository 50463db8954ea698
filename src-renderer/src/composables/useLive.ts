// Keeps a resource store's live list running while the calling component is mounted.
import { onScopeDispose } from 'vue';

export function useLive(...stores: { use(): () => void }[]): void {
  const leave = stores.map((s) => s.use());
  onScopeDispose(() => leave.forEach((l) => l()));
}

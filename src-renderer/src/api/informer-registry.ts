// One list+watch per resource kind, shared by every view that shows it. Views come and go as the
// person navigates; the registry counts who uses each informer, starts it on first use and stops it
// shortly after the last user leaves (long enough to survive a view being re-created, short enough
// to give the connection back: over HTTP/1.1 a browser allows only six connections per origin, and
// every open watch holds one).
// The informer's own handlers cannot be removed, so the registry installs one set per informer and
// fans events out to listeners that can.
import type { ResourceInfo } from '../../../src-main/shared/resources';
import type { Informer, KubeObjectLike } from '../../../src-main/shared/kube/types';

export type InformerFactory = (resource: ResourceInfo) => Informer<KubeObjectLike>;

/** Called after any add/update/delete; consumers re-read the lister (they batch on their side). */
export type ChangeListener = () => void;

export interface InformerLease {
  readonly informer: Informer<KubeObjectLike>;
  /** Resolves when the first list is in the cache; rejects if it could not be made. */
  readonly ready: Promise<void>;
  release(): void;
}

export interface InformerRegistry {
  acquire(resource: ResourceInfo, onChange: ChangeListener): InformerLease;
  /** How many informers are running and how many leases each has (for the Settings view and tests). */
  stats(): { resource: string; users: number }[];
  stopAll(): void;
}

interface Entry {
  informer: Informer<KubeObjectLike>;
  ready: Promise<void>;
  listeners: Set<ChangeListener>;
  stopTimer?: ReturnType<typeof setTimeout>;
}

export interface RegistryOptions {
  /** How long an unused informer keeps watching before it stops. */
  lingerMs?: number;
  setTimer?: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
}

export function resourceKey(r: ResourceInfo): string {
  return `${r.group || 'core'}/${r.version}/${r.plural}`;
}

export function createInformerRegistry(
  factory: InformerFactory,
  options: RegistryOptions = {},
): InformerRegistry {
  const lingerMs = options.lingerMs ?? 250;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t));
  const entries = new Map<string, Entry>();

  const open = (resource: ResourceInfo): Entry => {
    const informer = factory(resource);
    const listeners = new Set<ChangeListener>();
    const notify = () => {
      for (const listener of listeners) listener();
    };
    informer.addHandlers({ onAdd: notify, onUpdate: notify, onDelete: notify });
    const ready = informer.start().then(notify);
    // Callers that never await `ready` must not produce unhandled rejections; the lease still rejects.
    ready.catch(() => undefined);
    return { informer, ready, listeners };
  };

  return {
    acquire(resource, onChange) {
      const key = resourceKey(resource);
      let entry = entries.get(key);
      if (!entry) {
        entry = open(resource);
        entries.set(key, entry);
      }
      if (entry.stopTimer !== undefined) {
        clearTimer(entry.stopTimer);
        entry.stopTimer = undefined;
      }
      entry.listeners.add(onChange);
      const held = entry;
      let released = false;
      return {
        informer: held.informer,
        ready: held.ready,
        release() {
          if (released) return;
          released = true;
          held.listeners.delete(onChange);
          if (held.listeners.size > 0) return;
          held.stopTimer = setTimer(() => {
            if (held.listeners.size > 0 || entries.get(key) !== held) return;
            entries.delete(key);
            held.informer.stop();
          }, lingerMs);
        },
      };
    },
    stats() {
      return [...entries].map(([resource, e]) => ({ resource, users: e.listeners.size }));
    },
    stopAll() {
      for (const entry of entries.values()) {
        if (entry.stopTimer !== undefined) clearTimer(entry.stopTimer);
        entry.informer.stop();
      }
      entries.clear();
    },
  };
}

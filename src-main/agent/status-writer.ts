// Writes what the pod sync computed to the API server: each pod's status (a merge patch of the
// status subresource, only when it changed) and, once a pod marked for deletion has stopped, the
// final delete (grace period 0, preconditioned on the UID so a new pod of the same name is safe).
// Failed writes are retried with the newest status; a pod's writes never overlap. Writes for a pod
// that is no longer this node's (`isCurrent`: deleted, or replaced by another of the same name) are
// dropped: once a pod is gone the API server's node authorizer answers 403, not 404, and retrying
// that forever kept every deleted pod's entry (and a write every ≤ 30 s) alive.
import { findResourceByKind } from '../shared/resources';
import type { ResourceInfo } from '../shared/resources';
import { isKubeApiError } from '../shared/kube/types';
import type { KubeApi } from '../shared/kube/types';
import type { Clock } from './clock';
import { systemClock } from './clock';
import type { Pod, PodStatus } from './pods/types';

const PODS = findResourceByKind('v1', 'Pod') as ResourceInfo;

interface Pending {
  pod: Pod;
  status?: PodStatus;
  remove: boolean;
  busy: boolean;
  attempt: number;
}

export class StatusWriter {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly api: KubeApi,
    private readonly clock: Clock = systemClock,
    private readonly log: (message: string) => void = () => undefined,
    /** Whether the pod (this UID) is still bound to this node, e.g. from the agent's pod informer. */
    private readonly isCurrent: (pod: Pod) => boolean = () => true,
    /** Called after each status patch the API server accepted (timing traces). */
    private readonly onWritten: (pod: Pod, status: PodStatus) => void = () => undefined,
  ) {}

  /** For KubeletOptions.onStatus. */
  readonly onStatus = (pod: Pod, status: PodStatus): void => {
    this.entry(pod).status = status;
    this.flush(pod.metadata.uid ?? '');
  };

  /** For KubeletOptions.onTerminated. */
  readonly onTerminated = (pod: Pod): void => {
    this.entry(pod).remove = true;
    this.flush(pod.metadata.uid ?? '');
  };

  /** Resolves when nothing is waiting to be written (tests). */
  async drained(): Promise<void> {
    while ([...this.pending.values()].some((p) => p.busy || p.status || p.remove)) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private entry(pod: Pod): Pending {
    const uid = pod.metadata.uid ?? '';
    let e = this.pending.get(uid);
    if (!e) this.pending.set(uid, (e = { pod, remove: false, busy: false, attempt: 0 }));
    e.pod = pod;
    return e;
  }

  private flush(uid: string): void {
    const e = this.pending.get(uid);
    if (!e || e.busy) return;
    if (!this.isCurrent(e.pod)) {
      this.pending.delete(uid);
      return;
    }
    e.busy = true;
    void this.write(e).then(
      () => {
        e.attempt = 0;
        e.busy = false;
        if (e.status || e.remove) this.flush(uid);
        else this.pending.delete(uid);
      },
      (err: unknown) => {
        e.busy = false;
        if (isKubeApiError(err, 404) || isKubeApiError(err, 409) || !this.isCurrent(e.pod)) {
          // The pod is gone (or was replaced): nothing left to write for it. (A pod deleted while
          // its write was in flight gets 403 from the node authorizer; not worth a log line each
          // when hundreds of pods churn.)
          this.pending.delete(uid);
          return;
        }
        e.attempt++;
        this.log(
          `writing pod ${e.pod.metadata.namespace}/${e.pod.metadata.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
        this.clock.setTimeout(() => this.flush(uid), Math.min(30_000, 500 * 2 ** e.attempt));
      },
    );
  }

  private async write(e: Pending): Promise<void> {
    const { name, namespace, uid } = e.pod.metadata;
    const status = e.status;
    if (status) {
      e.status = undefined;
      try {
        await this.api.patch(PODS, name ?? '', namespace, { metadata: { uid }, status }, 'merge', 'status');
        this.onWritten(e.pod, status);
      } catch (err) {
        e.status ??= status; // retry with this one unless a newer one came meanwhile
        throw err;
      }
    }
    if (e.remove) {
      await this.api.delete(PODS, name ?? '', namespace, {
        gracePeriodSeconds: 0,
        preconditions: uid ? { uid } : {},
      });
      e.remove = false;
    }
  }
}

// The ConfigMaps and Secrets pods reference, read from informers: one pair per namespace that has pods
// on this node, started when the first such pod appears and stopped when the last one leaves. A
// change to any of them makes the Kubelet pass again, which rewrites projected volumes.
import { findResourceByKind } from '../shared/resources';
import type { ResourceInfo } from '../shared/resources';
import { createInformer } from '../shared/kube/informer';
import type { InformerWithState } from '../shared/kube/informer';
import type { KubeApi } from '../shared/kube/types';
import type { ConfigMap, ObjectLookup, Secret } from './pods/types';

const CONFIG_MAPS = findResourceByKind('v1', 'ConfigMap') as ResourceInfo;
const SECRETS = findResourceByKind('v1', 'Secret') as ResourceInfo;

/** Informers need objects open to fields they do not know. */
type Indexable = { [field: string]: unknown };

interface NamespaceCache {
  configMaps: InformerWithState<ConfigMap & Indexable>;
  secrets: InformerWithState<Secret & Indexable>;
  synced: Promise<void>;
}

export class ReferencedObjects implements ObjectLookup {
  private readonly caches = new Map<string, NamespaceCache>();

  constructor(
    private readonly api: KubeApi,
    private readonly onChange: () => void,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  configMap(namespace: string, name: string): ConfigMap | undefined {
    return this.caches.get(namespace)?.configMaps.lister.get(name, namespace);
  }

  secret(namespace: string, name: string): Secret | undefined {
    return this.caches.get(namespace)?.secrets.lister.get(name, namespace);
  }

  /**
   * Watches exactly these namespaces. Resolves when the caches of all of them have synced, or after
   * `timeoutMs` (the API server may be away; lookups then fail and the pod is retried).
   */
  async track(namespaces: Iterable<string>, timeoutMs = 10_000): Promise<void> {
    const wanted = new Set(namespaces);
    for (const [ns, cache] of this.caches) {
      if (wanted.has(ns)) continue;
      cache.configMaps.stop();
      cache.secrets.stop();
      this.caches.delete(ns);
    }
    const waits: Promise<void>[] = [];
    for (const ns of wanted) {
      let cache = this.caches.get(ns);
      if (!cache) {
        const onError = (message: string, err: unknown) =>
          this.log(`${ns}: ${message}: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
        const configMaps = createInformer<ConfigMap & Indexable>(this.api, CONFIG_MAPS, {
          namespace: ns,
          onError,
        });
        const secrets = createInformer<Secret & Indexable>(this.api, SECRETS, {
          namespace: ns,
          onError,
        });
        let ready = false;
        const changed = () => {
          if (ready) this.onChange();
        };
        for (const inf of [configMaps, secrets] as InformerWithState<never>[])
          inf.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
        const synced = Promise.all([configMaps.start(), secrets.start()]).then(() => {
          ready = true;
        });
        cache = { configMaps, secrets, synced };
        this.caches.set(ns, cache);
      }
      waits.push(cache.synced);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(waits),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref())),
    ]);
    clearTimeout(timer);
  }

  stop(): void {
    for (const cache of this.caches.values()) {
      cache.configMaps.stop();
      cache.secrets.stop();
    }
    this.caches.clear();
  }
}

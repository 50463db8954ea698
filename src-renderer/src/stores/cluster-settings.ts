// The cluster's published settings (one ConfigMap, kube-system/flotilla-cluster), live. A watch of that
// one object by name rather than the shared ConfigMap informer: any signed-in user may read it, while
// ConfigMaps of every namespace need an admin, and one small object is all the view needs.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { createInformer } from '../../../src-main/shared/kube/informer';
import type { Informer } from '../../../src-main/shared/kube/types';
import { apiContext } from '../api/context';
import {
  CLUSTER_SETTINGS_NAME,
  CLUSTER_SETTINGS_NAMESPACE,
  parseClusterSettings,
} from '../features/settings/cluster-settings';
import type { ConfigMapObject } from '../features/settings/cluster-settings';
import { R } from '../lib/resources';

export const useClusterSettingsStore = defineStore('cluster-settings', () => {
  const object = shallowRef<ConfigMapObject | undefined>();
  /** The first answer came: `object` undefined now means "not published" (an older control plane). */
  const synced = ref(false);
  const error = ref<string | undefined>();
  const settings = computed(() => parseClusterSettings(object.value));
  let users = 0;
  let informer: Informer<ConfigMapObject> | undefined;

  function use(): () => void {
    users++;
    if (!informer) {
      error.value = undefined;
      const own = createInformer<ConfigMapObject>(apiContext().api, R.configmaps, {
        namespace: CLUSTER_SETTINGS_NAMESPACE,
        fieldSelector: `metadata.name=${CLUSTER_SETTINGS_NAME}`,
        onError: (_message, err) => {
          if (informer === own) error.value = (err as Error)?.message ?? String(err);
        },
      });
      informer = own;
      const read = () => {
        if (informer !== own) return;
        object.value = own.lister.get(CLUSTER_SETTINGS_NAME, CLUSTER_SETTINGS_NAMESPACE);
        synced.value = true;
        error.value = undefined;
      };
      own.addHandlers({ onAdd: read, onUpdate: read, onDelete: read });
      own.start().then(read, (err: unknown) => {
        if (informer === own) error.value = (err as Error)?.message ?? String(err);
      });
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      users--;
      if (users > 0 || !informer) return;
      informer.stop();
      informer = undefined;
    };
  }

  return { object, settings, synced, error, use };
});

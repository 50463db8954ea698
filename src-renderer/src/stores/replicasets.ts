// Live replicasets, shared by every view that shows them (one list+watch for the whole app).
import type { ReplicaSet } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useReplicasetsStore = defineResourceStore<ReplicaSet>('replicasets', R.replicasets);

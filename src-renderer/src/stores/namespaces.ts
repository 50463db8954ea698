// Live namespaces, shared by every view that shows them (one list+watch for the whole app).
import type { Namespace } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useNamespacesStore = defineResourceStore<Namespace>('namespaces', R.namespaces);

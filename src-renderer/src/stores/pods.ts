// Live pods, shared by every view that shows them (one list+watch for the whole app).
import type { Pod } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const usePodsStore = defineResourceStore<Pod>('pods', R.pods);

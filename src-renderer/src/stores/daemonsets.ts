// Live daemonsets, shared by every view that shows them (one list+watch for the whole app).
import type { DaemonSet } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useDaemonsetsStore = defineResourceStore<DaemonSet>('daemonsets', R.daemonsets);

// Live endpoints, shared by every view that shows them (one list+watch for the whole app).
import type { Endpoints } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useEndpointsStore = defineResourceStore<Endpoints>('endpoints', R.endpoints);

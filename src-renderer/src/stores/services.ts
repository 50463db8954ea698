// Live services, shared by every view that shows them (one list+watch for the whole app).
import type { Service } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useServicesStore = defineResourceStore<Service>('services', R.services);

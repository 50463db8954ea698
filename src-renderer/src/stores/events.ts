// Live events, shared by every view that shows them (one list+watch for the whole app).
import type { CoreEvent } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useEventsStore = defineResourceStore<CoreEvent>('events', R.events);

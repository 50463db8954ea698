// Live nodes, shared by every view that shows them (one list+watch for the whole app).
import type { Node } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useNodesStore = defineResourceStore<Node>('nodes', R.nodes);

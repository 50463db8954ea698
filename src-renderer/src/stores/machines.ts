// Live Machines (flotilla.dev/v1): the computers the cluster enrolls as nodes, with their progress.
import type { MachineObject } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useMachinesStore = defineResourceStore<MachineObject>('machines', R.machines);

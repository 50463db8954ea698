// A plugin's verdict, as in the Kubernetes scheduler framework: a code and the reasons shown to users.
// Unschedulable may be fixed by freeing room on the node (preemption, a pod going away);
// UnschedulableAndUnresolvable cannot be fixed on that node by removing pods (a taint, a selector).

export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip' | 'Error';

export interface Status {
  code: StatusCode;
  /** User-facing reasons, counted per node in the FailedScheduling summary. */
  reasons: string[];
  /** The plugin that returned it (set by the framework). */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] }) as Status;
export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: [] }) as Status;

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function errorStatus(message: string): Status {
  return { code: 'Error', reasons: [message] };
}

export function isSuccess(s: Status): boolean {
  return s.code === 'Success';
}

export function isRejection(s: Status): boolean {
  return s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable';
}

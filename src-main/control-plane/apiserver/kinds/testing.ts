// Helpers for the strategy specs: causes rendered the way kubectl shows them.
import { formatCause, type StatusCause } from '../../../shared/status';

export function messages(causes: StatusCause[]): string[] {
  return causes.map(formatCause);
}

export const NOW = new Date('2025-06-01T12:00:00Z');
/** A timestamp `ms` before NOW. */
export function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString();
}

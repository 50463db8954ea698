// One vocabulary of colours for states across the app: good, progress, warn, bad, neutral.
export type Tone = 'good' | 'progress' | 'warn' | 'bad' | 'neutral';

const BAD =
  /(BackOff|Err|Error|Failed|OOMKilled|Unknown|ExitCode|Signal|Invalid|NotReady|Evicted|NodeLost|Unschedulable|DeadlineExceeded)/;
const PROGRESS = /^(Pending|ContainerCreating|PodInitializing|Init:|Terminating|Scheduled)/;

export function podStatusTone(status: string): Tone {
  if (status === 'Running' || status === 'Completed' || status === 'Succeeded') return 'good';
  if (BAD.test(status)) return 'bad';
  if (PROGRESS.test(status)) return 'progress';
  return 'neutral';
}

// The Machine kind (flotilla.dev/v1, cluster-scoped): a computer the cluster should run pods on, and
// how to reach it. The enrollment controller reconciles it (connect → verify the host key →
// preflight → push the agent → start it → wait for its Node to be Ready) and reports progress in
// status.steps, which the UI's progress view and `flotilla node add` print live.
// Shared by the API server (validation), the enrollment controller, the CLI and the UI.

export const MACHINE_API_VERSION = 'flotilla.dev/v1';
export const MACHINE_KIND = 'Machine';

export const MACHINE_TYPES = ['docker', 'ssh'] as const;
export type MachineType = (typeof MACHINE_TYPES)[number];

export const MACHINE_PHASES = ['Pending', 'Connecting', 'Enrolling', 'Ready', 'Failed', 'Removing'] as const;
export type MachinePhase = (typeof MACHINE_PHASES)[number];

/** The enrollment steps, in the order they run. */
export const MACHINE_STEPS = [
  'connect',
  'verify-host-key',
  'preflight',
  'push-agent',
  'start-agent',
  'wait-ready',
] as const;
export type MachineStepName = (typeof MACHINE_STEPS)[number];

export const STEP_STATES = ['pending', 'running', 'done', 'failed', 'skipped'] as const;
export type StepState = (typeof STEP_STATES)[number];

export const REACHABILITIES = ['direct', 'tunnel'] as const;
export type Reachability = (typeof REACHABILITIES)[number];

/** Conditions of a Machine besides Ready: whether the host key is accepted, whether the tunnel is up. */
export const MACHINE_CONDITION_HOST_KEY = 'HostKeyAccepted';
export const MACHINE_CONDITION_TUNNEL = 'TunnelUp';

export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_SSH_USER = 'root';

/** `SHA256:` + 43 characters of unpadded base64 (a 32-byte digest), as OpenSSH prints host keys. */
export const SHA256_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export interface SecretReference {
  name: string;
  namespace: string;
  /** The key in the Secret's data. Default: `ssh-privatekey` for keys, `password` for passwords. */
  key?: string;
}

export interface MachineJumpHost {
  address: string;
  port?: number;
  user?: string;
  /** The jump host's accepted key. */
  hostKeyFingerprint?: string;
}

export interface MachineSshSpec {
  /** Host name or IP address. */
  address: string;
  port?: number;
  user?: string;
  privateKeySecretRef?: SecretReference;
  passwordSecretRef?: SecretReference;
  jump?: MachineJumpHost;
  /** Run privileged commands through `sudo -n`. */
  sudo?: boolean;
  /** The host key the user accepted (`SHA256:…`); a host presenting another key is refused. */
  hostKeyFingerprint?: string;
}

export interface MachineDockerSpec {
  /** unix:///var/run/docker.sock, tcp://HOST:PORT; absent: the local engine. */
  host?: string;
}

export interface MachineTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface MachineSpec {
  type: MachineType;
  docker?: MachineDockerSpec;
  ssh?: MachineSshSpec;
  /** The Node's name (default: the Machine's name). */
  nodeName?: string;
  /** Labels and taints the Node gets when it registers. */
  labels?: Record<string, string>;
  taints?: MachineTaint[];
}

export interface MachineStep {
  name: MachineStepName;
  state: StepState;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface MachineCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface MachineStatus {
  phase?: MachinePhase;
  conditions?: MachineCondition[];
  nodeName?: string;
  /** What the host presented at the last contact (shown for the user to accept on first contact). */
  observedHostKeyFingerprint?: string;
  /** What the jump host (spec.ssh.jump) presented at the last contact, likewise. */
  observedJumpHostKeyFingerprint?: string;
  /**
   * How the agent reaches the API server: `direct`, or `tunnel` — an SSH remote forward the control
   * plane holds open (the agent talks to https://127.0.0.1:PORT on its host); its health is the
   * TunnelUp condition.
   */
  reachability?: Reachability;
  steps?: MachineStep[];
  observedGeneration?: number;
}

export interface Machine {
  apiVersion: typeof MACHINE_API_VERSION;
  kind: typeof MACHINE_KIND;
  metadata: { name: string; [field: string]: unknown };
  spec: MachineSpec;
  status?: MachineStatus;
}

/** Steps all pending: the status list a fresh enrollment starts from. */
export function initialSteps(): MachineStep[] {
  return MACHINE_STEPS.map((name) => ({ name, state: 'pending' }));
}

/** The address a Machine is reached at, for tables and messages (`user@host:port`, `docker`, `unix:///…`). */
export function machineAddress(spec: Partial<MachineSpec> | undefined): string {
  if (!spec) return '';
  if (spec.type === 'ssh' && spec.ssh) {
    const host = spec.ssh.address?.includes(':') ? `[${spec.ssh.address}]` : (spec.ssh.address ?? '');
    const port = spec.ssh.port ?? DEFAULT_SSH_PORT;
    return `${spec.ssh.user ?? DEFAULT_SSH_USER}@${host}${port === DEFAULT_SSH_PORT ? '' : `:${port}`}`;
  }
  if (spec.type === 'docker') return spec.docker?.host || 'local';
  return '';
}

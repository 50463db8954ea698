// What a Machine's status means to a person: the enrollment steps folded into a progress list with
// durations, and one line for the machine's state (phase plus the reason that matters). Pure, so the
// table, the detail page and the wizard all say the same thing and tests need no DOM.
import {
  machineAddress,
  MACHINE_STEPS,
  type MachinePhase,
  type MachineStep,
  type MachineStepName,
  type StepState,
} from '../../../../src-main/shared/machine';
import type { MachineObject, Node } from '../../lib/kube-types';
import type { Tone } from '../../lib/tone';
import { nodeStatus } from '../nodes/node-rows';

export const STEP_TITLES: Record<MachineStepName, string> = {
  connect: 'Connect',
  'verify-host-key': 'Verify the host key',
  preflight: 'Check the machine',
  'push-agent': 'Copy the agent',
  'start-agent': 'Start the agent',
  'wait-ready': 'Wait for the node to be Ready',
};

export interface StepView {
  name: MachineStepName;
  title: string;
  state: StepState;
  message?: string;
  /** How long it took (finished) or has been running so far; undefined when it never started. */
  durationMs?: number;
}

function ms(ts: string | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The status's steps in the order they run, with missing ones pending and unknown ones dropped.
 * A pending step's message (what it waits for) is shown only while the machine is Pending.
 */
export function foldSteps(
  steps: readonly MachineStep[] | undefined,
  now: number,
  phase?: MachinePhase,
): StepView[] {
  const byName = new Map((steps ?? []).map((s) => [s.name, s]));
  return MACHINE_STEPS.map((name) => {
    const s = byName.get(name);
    const view: StepView = { name, title: STEP_TITLES[name], state: s?.state ?? 'pending' };
    // A waiting step's message ("first contact: accept this key") is stale once the machine moved on.
    if (s?.message && (view.state !== 'pending' || phase === 'Pending' || phase === undefined))
      view.message = s.message;
    const started = ms(s?.startedAt);
    const finished = ms(s?.finishedAt);
    if (started !== undefined) {
      if (finished !== undefined) view.durationMs = Math.max(0, finished - started);
      else if (s?.state === 'running') view.durationMs = Math.max(0, now - started);
    }
    return view;
  });
}

/** 850 ms, 4.2 s, 1m 05s. */
export function formatDuration(durationMs: number | undefined): string {
  if (durationMs === undefined) return '';
  if (durationMs < 1000) return `${Math.round(durationMs)} ms`;
  const s = durationMs / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
}

/** Where the enrollment stands, in the words the UI uses everywhere. */
export type MachineStage =
  | 'waiting' // created or changed; the controller has not picked it up yet
  | 'enrolling'
  | 'awaiting-host-key' // first contact: the user must accept the fingerprint
  | 'ready'
  | 'failed'
  | 'removing';

export interface MachineState {
  stage: MachineStage;
  phase: MachinePhase | '';
  /** Short text for badges: "Ready", "Failed", "Enrolling · push the agent". */
  label: string;
  tone: Tone;
  /** Why it failed, or what it waits for (one sentence, from the failed step or the Ready condition). */
  reason?: string;
  /** The host key presented, while it waits to be accepted. */
  fingerprint?: string;
  /** Whose key that is: the machine's, or its jump host's (contacted first). */
  fingerprintOf?: 'host' | 'jump';
  /** The step that failed. */
  failedStep?: MachineStepName;
  /** Steps done out of the total that ran or will run (skipped ones excluded). */
  done: number;
  total: number;
}

export function machineState(m: MachineObject, now: number): MachineState {
  const status = m.status ?? {};
  const steps = foldSteps(status.steps, now, status.phase);
  const counted = steps.filter((s) => s.state !== 'skipped');
  const done = counted.filter((s) => s.state === 'done').length;
  const base = { phase: status.phase ?? ('' as const), done, total: counted.length };
  if (m.metadata.deletionTimestamp)
    return {
      ...base,
      stage: 'removing',
      label: 'Removing',
      tone: 'progress',
      reason: 'draining the node and uninstalling the agent',
    };
  // A status written for an older spec says nothing about the current one (a retry just began).
  const current =
    status.observedGeneration === undefined ||
    m.metadata.generation === undefined ||
    status.observedGeneration === m.metadata.generation;
  if (!status.phase || (!current && (status.phase === 'Failed' || status.phase === 'Pending')))
    return {
      ...base,
      stage: 'waiting',
      label: status.phase ? 'Retrying' : 'Waiting',
      tone: 'progress',
      reason: 'waiting for the enrollment controller to start',
    };
  switch (status.phase) {
    case 'Ready': {
      const running = steps.find((s) => s.state === 'running');
      return {
        ...base,
        stage: 'ready',
        label: running ? `Ready · ${running.title.toLowerCase()}` : 'Ready',
        tone: 'good',
      };
    }
    case 'Failed': {
      const failed = steps.find((s) => s.state === 'failed');
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      return {
        ...base,
        stage: 'failed',
        label: failed ? `Failed · ${failed.title.toLowerCase()}` : 'Failed',
        tone: 'bad',
        reason: failed?.message ?? ready?.message ?? 'enrollment failed',
        ...(failed ? { failedStep: failed.name } : {}),
      };
    }
    case 'Pending': {
      const jumpFp = status.observedJumpHostKeyFingerprint;
      if (jumpFp && m.spec.ssh?.jump && !m.spec.ssh.jump.hostKeyFingerprint)
        return {
          ...base,
          stage: 'awaiting-host-key',
          label: 'Jump host key to accept',
          tone: 'warn',
          reason: `the jump host presented host key ${jumpFp}; accept it to continue`,
          fingerprint: jumpFp,
          fingerprintOf: 'jump',
        };
      const fp = status.observedHostKeyFingerprint;
      if (fp && m.spec.type === 'ssh' && !m.spec.ssh?.hostKeyFingerprint)
        return {
          ...base,
          stage: 'awaiting-host-key',
          label: 'Host key to accept',
          tone: 'warn',
          reason: `the machine presented host key ${fp}; accept it to continue`,
          fingerprint: fp,
          fingerprintOf: 'host',
        };
      return { ...base, stage: 'waiting', label: 'Pending', tone: 'progress' };
    }
    default: {
      const running = steps.find((s) => s.state === 'running');
      return {
        ...base,
        stage: 'enrolling',
        label: running ? `${status.phase} · ${running.title.toLowerCase()}` : status.phase,
        tone: 'progress',
      };
    }
  }
}

export interface MachineRow {
  key: string;
  name: string;
  type: string;
  address: string;
  state: MachineState;
  nodeName: string;
  /** The node's own status (Ready, NotReady…), or '' when it has not registered. */
  nodeStatus: string;
  nodeTone: Tone;
  createdAt?: string;
}

export function machineNodeName(m: MachineObject): string {
  return m.status?.nodeName || m.spec.nodeName || m.metadata.name;
}

export function machineRows(
  machines: readonly MachineObject[],
  nodes: readonly Node[],
  now: number,
): MachineRow[] {
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  return machines
    .map((m) => {
      const nodeName = machineNodeName(m);
      const node = byName.get(nodeName);
      const ns = node ? nodeStatus(node) : undefined;
      return {
        key: m.metadata.uid ?? m.metadata.name,
        name: m.metadata.name,
        type: m.spec.type,
        address: m.spec.type === 'docker' ? dockerAddress(m) : machineAddress(m.spec),
        state: machineState(m, now),
        nodeName,
        nodeStatus: ns?.status ?? '',
        nodeTone: ns?.tone ?? 'neutral',
        ...(m.metadata.creationTimestamp ? { createdAt: m.metadata.creationTimestamp } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Where the key being asked about comes from: `user@host[:port]` of the machine or its jump host. */
export function fingerprintSource(m: MachineObject, of: 'host' | 'jump' | undefined): string {
  const jump = m.spec.ssh?.jump;
  if (of === 'jump' && jump)
    return machineAddress({
      type: 'ssh',
      ssh: { address: jump.address, port: jump.port ?? 22, user: jump.user ?? m.spec.ssh?.user ?? 'root' },
    });
  return machineAddress(m.spec);
}

function dockerAddress(m: MachineObject): string {
  const host = m.spec.docker?.host;
  return host ? host : "this computer's Docker";
}

/** What removing a machine does, said before it is done (the confirmation dialog). */
export function removalConsequences(m: MachineObject): string[] {
  const node = machineNodeName(m);
  const where = m.spec.type === 'ssh' ? machineAddress(m.spec) : "this computer's Docker engine";
  return [
    `Node ${node} is cordoned and drained: its pods are deleted, and pods with a controller (Deployments, ReplicaSets, DaemonSets) get replacements on other nodes.`,
    `The Flotilla agent on ${where} is stopped and uninstalled, with the containers, pod network and firewall rules it created.`,
    `Node ${node} is deleted from the cluster${m.spec.type === 'ssh' ? ', and so is the Secret holding its SSH credentials' : ''}.`,
    m.spec.type === 'ssh'
      ? 'Nothing else on the machine is touched: your files, other containers and Docker itself stay as they are. The machine can be added again later.'
      : 'Docker itself and your other containers stay as they are. You can add this computer again later.',
  ];
}

/**
 * A reason's first line (what went wrong, for badges and tables) and the rest (an agent's log tail,
 * preflight details), which the pages fold away.
 */
export function splitReason(reason: string | undefined): { summary: string; details: string } {
  const text = (reason ?? '').trim();
  const nl = text.indexOf('\n');
  return nl < 0
    ? { summary: text, details: '' }
    : { summary: text.slice(0, nl).trim(), details: text.slice(nl + 1) };
}

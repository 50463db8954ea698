// Machines (flotilla.dev/v1, cluster-scoped; shared/machine.ts): computers to enroll as nodes. The
// API server checks that a Machine says how to reach it (an ssh address, a valid port, secret
// references with names and namespaces, a well-formed accepted fingerprint) and fills the SSH
// defaults (port 22, user root). Status is written by the enrollment controller through the status
// subresource; its enums are checked too so the UI can trust them.
import {
  DEFAULT_SSH_PORT,
  DEFAULT_SSH_USER,
  MACHINE_PHASES,
  MACHINE_STEPS,
  MACHINE_TYPES,
  machineAddress,
  REACHABILITIES,
  SHA256_FINGERPRINT,
  STEP_STATES,
  type MachineSpec,
} from '../../../shared/machine';
import type { StatusCause } from '../../../shared/status';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortNum,
} from '../../../shared/validation';
import { duplicate, FieldPath, forbidden, invalid, notSupported, required } from './common/field';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { validateTaintEffect } from './common/scheduling';
import { keepOldStatus, resourceOf, type FlotillaStrategy } from './common/strategy';
import { isRecord, rec, recList, str, type Json } from './common/util';
import type { KubeObject } from './types';

const SPEC = FieldPath.root('spec');
const STATUS = FieldPath.root('status');

function defaults(obj: KubeObject): void {
  const spec = rec(obj.spec);
  if (!spec) return;
  const ssh = rec(spec.ssh);
  if (ssh) {
    if (ssh.port === undefined || ssh.port === null) ssh.port = DEFAULT_SSH_PORT;
    if (ssh.user === undefined || ssh.user === null || ssh.user === '') ssh.user = DEFAULT_SSH_USER;
    const jump = rec(ssh.jump);
    if (jump) {
      if (jump.port === undefined || jump.port === null) jump.port = DEFAULT_SSH_PORT;
      if (jump.user === undefined || jump.user === null || jump.user === '') jump.user = ssh.user;
    }
  }
}

function validatePort(value: unknown, path: FieldPath): StatusCause[] {
  if (typeof value !== 'number' || !Number.isInteger(value))
    return [invalid(path, value, 'must be an integer')];
  return isValidPortNum(value).map((m) => invalid(path, value, m));
}

// A host name (DNS-1123 subdomain) or an IP address; ports go in their own field.
function validateAddress(value: unknown, path: FieldPath): StatusCause[] {
  const address = str(value);
  if (address === '') return [required(path, 'the host name or IP address to reach the machine at')];
  const isIP = /^[0-9.]+$/.test(address) ? /^(\d{1,3}\.){3}\d{1,3}$/.test(address) : address.includes(':');
  if (isIP) {
    if (address.includes(':') && !/^[0-9A-Fa-f:.]+$/.test(address))
      return [
        invalid(path, address, 'must be a host name or an IP address (put the port in the port field)'),
      ];
    if (!address.includes(':') && address.split('.').some((o) => Number(o) > 255))
      return [invalid(path, address, 'must be a valid IPv4 address')];
    return [];
  }
  return isDNS1123Subdomain(address.toLowerCase()).map((m) =>
    invalid(path, address, `must be a host name or an IP address: ${m}`),
  );
}

function validateUser(value: unknown, path: FieldPath): StatusCause[] {
  const user = str(value);
  if (user === '') return [];
  return /^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(user)
    ? []
    : [invalid(path, user, 'must be a login name (letters, digits, `_`, `-`, `.`; at most 32 characters)')];
}

function validateFingerprint(value: unknown, path: FieldPath): StatusCause[] {
  if (value === undefined || value === null || value === '') return [];
  const fp = str(value);
  return SHA256_FINGERPRINT.test(fp.replace(/=+$/, ''))
    ? []
    : [
        invalid(
          path,
          value,
          'must be a SHA256 host key fingerprint as OpenSSH prints it (SHA256: followed by 43 base64 characters)',
        ),
      ];
}

function validateSecretRef(value: unknown, path: FieldPath): StatusCause[] {
  if (value === undefined || value === null) return [];
  const ref = rec(value);
  if (!ref) return [invalid(path, value, 'must be an object with name and namespace')];
  const out: StatusCause[] = [];
  const name = str(ref.name);
  if (name === '') out.push(required(path.child('name')));
  else for (const m of isDNS1123Subdomain(name)) out.push(invalid(path.child('name'), name, m));
  const ns = str(ref.namespace);
  if (ns === '') out.push(required(path.child('namespace')));
  else for (const m of isDNS1123Label(ns)) out.push(invalid(path.child('namespace'), ns, m));
  if (ref.key !== undefined) {
    const key = str(ref.key);
    if (!/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253)
      out.push(
        invalid(
          path.child('key'),
          ref.key,
          "a valid Secret key must consist of alphanumeric characters, '-', '_' or '.'",
        ),
      );
  }
  return out;
}

function validateSsh(ssh: Json, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  out.push(...validateAddress(ssh.address, path.child('address')));
  if (ssh.port !== undefined) out.push(...validatePort(ssh.port, path.child('port')));
  out.push(...validateUser(ssh.user, path.child('user')));
  out.push(...validateSecretRef(ssh.privateKeySecretRef, path.child('privateKeySecretRef')));
  out.push(...validateSecretRef(ssh.passwordSecretRef, path.child('passwordSecretRef')));
  if (ssh.sudo !== undefined && typeof ssh.sudo !== 'boolean')
    out.push(invalid(path.child('sudo'), ssh.sudo, 'must be a boolean'));
  out.push(...validateFingerprint(ssh.hostKeyFingerprint, path.child('hostKeyFingerprint')));
  if (ssh.jump !== undefined && ssh.jump !== null) {
    const jump = rec(ssh.jump);
    const jp = path.child('jump');
    if (!jump) out.push(invalid(jp, ssh.jump, 'must be an object'));
    else {
      out.push(...validateAddress(jump.address, jp.child('address')));
      if (jump.port !== undefined) out.push(...validatePort(jump.port, jp.child('port')));
      out.push(...validateUser(jump.user, jp.child('user')));
      out.push(...validateFingerprint(jump.hostKeyFingerprint, jp.child('hostKeyFingerprint')));
    }
  }
  return out;
}

function validateTaints(taints: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  recList(taints).forEach((t, i) => {
    const p = SPEC.child('taints').index(i);
    const key = str(t.key);
    if (key === '') out.push(required(p.child('key')));
    else for (const m of isQualifiedName(key)) out.push(invalid(p.child('key'), key, m));
    const value = str(t.value);
    for (const m of isValidLabelValue(value)) out.push(invalid(p.child('value'), value, m));
    out.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const k = `${key}\u0000${str(t.effect)}`;
    if (seen.has(k)) out.push(duplicate(p, t));
    seen.add(k);
  });
  return out;
}

function validateSpec(obj: KubeObject): StatusCause[] {
  const spec = rec(obj.spec);
  if (!spec) return [required(SPEC)];
  const out: StatusCause[] = [];
  const type = str(spec.type);
  if (type === '')
    out.push(required(SPEC.child('type'), `one of ${MACHINE_TYPES.map((t) => `"${t}"`).join(', ')}`));
  else if (!(MACHINE_TYPES as readonly string[]).includes(type))
    out.push(notSupported(SPEC.child('type'), type, MACHINE_TYPES));

  if (type === 'ssh') {
    const ssh = rec(spec.ssh);
    if (!ssh)
      out.push(
        required(SPEC.child('ssh'), 'a machine of type "ssh" needs spec.ssh with at least an address'),
      );
    else out.push(...validateSsh(ssh, SPEC.child('ssh')));
  } else if (spec.ssh !== undefined && spec.ssh !== null) {
    out.push(forbidden(SPEC.child('ssh'), `may only be set when type is "ssh"`));
  }
  if (type !== 'docker' && spec.docker !== undefined && spec.docker !== null) {
    out.push(forbidden(SPEC.child('docker'), `may only be set when type is "docker"`));
  }
  const dockerHost = str(rec(spec.docker)?.host);
  if (dockerHost !== '' && !/^(unix|tcp|ssh|npipe):\/\/.+/.test(dockerHost)) {
    out.push(
      invalid(
        SPEC.child('docker', 'host'),
        dockerHost,
        'must be a Docker host URL (unix:///path, tcp://host:port)',
      ),
    );
  }
  if (spec.nodeName !== undefined && spec.nodeName !== '') {
    const n = str(spec.nodeName);
    for (const m of isDNS1123Subdomain(n)) out.push(invalid(SPEC.child('nodeName'), spec.nodeName, m));
  }
  if (spec.labels !== undefined) out.push(...validateLabels(spec.labels, SPEC.child('labels')));
  out.push(...validateTaints(spec.taints));
  return out;
}

function validateStatus(obj: KubeObject): StatusCause[] {
  const status = rec(obj.status);
  if (!status) return [];
  const out: StatusCause[] = [];
  const oneOf = (value: unknown, valid: readonly string[], path: FieldPath) => {
    if (value !== undefined && value !== '' && !valid.includes(str(value)))
      out.push(notSupported(path, value, valid));
  };
  oneOf(status.phase, MACHINE_PHASES, STATUS.child('phase'));
  oneOf(status.reachability, REACHABILITIES, STATUS.child('reachability'));
  out.push(
    ...validateFingerprint(status.observedHostKeyFingerprint, STATUS.child('observedHostKeyFingerprint')),
    ...validateFingerprint(
      status.observedJumpHostKeyFingerprint,
      STATUS.child('observedJumpHostKeyFingerprint'),
    ),
  );
  const seen = new Set<string>();
  recList(status.steps).forEach((s, i) => {
    const p = STATUS.child('steps').index(i);
    if (str(s.name) === '') out.push(required(p.child('name')));
    else oneOf(s.name, MACHINE_STEPS, p.child('name'));
    if (str(s.state) === '') out.push(required(p.child('state')));
    else oneOf(s.state, STEP_STATES, p.child('state'));
    if (seen.has(str(s.name))) out.push(duplicate(p.child('name'), s.name));
    seen.add(str(s.name));
  });
  return out;
}

function validateMachine(obj: KubeObject): StatusCause[] {
  return [...validateSpec(obj), ...validateStatus(obj)];
}

function stepSummary(status: Json): string {
  const steps = recList(status.steps);
  const running = steps.find((s) => s.state === 'running' || s.state === 'failed');
  return running ? `${str(running.name)} (${str(running.state)})` : '';
}

export const machineStrategy: FlotillaStrategy = {
  resource: resourceOf('flotilla.dev', 'machines'),
  defaults,
  prepareForCreate(obj) {
    delete obj.status;
  },
  prepareForUpdate: keepOldStatus,
  generationOnSpecChange: true,
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: false }), ...validateMachine(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateMachine(obj)],
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'How the machine is reached: docker or ssh.'),
    column(
      'Address',
      'string',
      'Where the machine is reached: user@host[:port] for ssh, the engine for docker.',
    ),
    column('Phase', 'string', 'Pending, Connecting, Enrolling, Ready, Failed or Removing.'),
    column('Node', 'string', 'The Node the machine runs as.'),
    AGE_COLUMN,
    column('Reachability', 'string', "How the machine's agent reaches the API server: direct or tunnel.", 1),
    column('Fingerprint', 'string', 'The host key fingerprint the machine presented.', 1),
    column('Step', 'string', 'The enrollment step in progress or failed.', 1),
  ],
  row(obj, now) {
    const spec = (rec(obj.spec) ?? {}) as Partial<MachineSpec>;
    const status = rec(obj.status) ?? {};
    const ssh = isRecord(spec.ssh) ? (spec.ssh as Json) : undefined;
    return [
      obj.metadata?.name ?? '',
      str(spec.type) || '<unknown>',
      machineAddress(spec) || '<none>',
      str(status.phase) || 'Pending',
      str(status.nodeName) || '<none>',
      since(obj.metadata?.creationTimestamp, now),
      str(status.reachability) || '<unknown>',
      str(status.observedHostKeyFingerprint) || str(ssh?.hostKeyFingerprint) || '<none>',
      stepSummary(status) || '<none>',
    ];
  },
  fieldSelectors: {
    'spec.type': (o) => str(rec(o.spec)?.type),
    'status.phase': (o) => str(rec(o.status)?.phase),
  },
};

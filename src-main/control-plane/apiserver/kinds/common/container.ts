// Containers: defaults (SetDefaults_Container, _ContainerPort, _Probe, _HTTPGetAction, _ObjectFieldSelector)
// and validation (name, image, ports, env, volume mounts, resources, probes, pull policy), as Kubernetes does
// them for Pods and pod templates alike.
import {
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  quantityError,
  tryParseQuantity,
} from '../../../../shared/quantity';
import type { StatusCause } from '../../../../shared/status';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidPortName,
  isValidPortNum,
} from '../../../../shared/validation';
import {
  duplicate,
  forbidden,
  invalid,
  IS_NEGATIVE_ERROR,
  notFound,
  notSupported,
  required,
  validateNonnegative,
  type FieldPath,
} from './field';
import { ensureRec, isRecord, list, rec, recList, setDefault, str, type Json } from './util';

export const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;
const PROBE_KINDS = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HANDLER_KINDS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

/** The tag of an image reference (`nginx` → `latest`, `nginx@sha256:…` → ``, `host:5000/app:v1` → `v1`). */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon >= 0) return lastSegment.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultHandler(h: unknown): void {
  const http = rec(rec(h)?.httpGet);
  if (http) {
    setDefault(http, 'path', '/');
    setDefault(http, 'scheme', 'HTTP');
  }
}

function defaultProbe(p: Json): void {
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  defaultHandler(p);
}

/** Quantities are stored in canonical form (`0.5` → `500m`); invalid ones are left for validation to report. */
export function canonicalizeResourceList(resources: unknown): void {
  const r = rec(resources);
  if (!r) return;
  for (const [name, value] of Object.entries(r)) {
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    try {
      r[name] = canonicalQuantity(value);
    } catch {
      // reported by validation
    }
  }
}

export function defaultContainer(c: Json, hostNetwork: boolean): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(str(c.image)) === 'latest' ? 'Always' : 'IfNotPresent';
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const port of recList(c.ports)) {
    setDefault(port, 'protocol', 'TCP');
    if (hostNetwork && (port.hostPort === undefined || port.hostPort === 0))
      port.hostPort = port.containerPort;
  }
  for (const kind of PROBE_KINDS) {
    const probe = rec(c[kind]);
    if (probe) defaultProbe(probe);
  }
  const lifecycle = rec(c.lifecycle);
  if (lifecycle) {
    defaultHandler(lifecycle.postStart);
    defaultHandler(lifecycle.preStop);
  }
  for (const env of recList(c.env)) {
    const fieldRef = rec(rec(env.valueFrom)?.fieldRef);
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  const resources = rec(c.resources);
  if (resources) {
    canonicalizeResourceList(resources.limits);
    canonicalizeResourceList(resources.requests);
  }
}

/** SetDefaults_Pod (not templates): requests default to limits where only limits are given. */
export function defaultRequestsFromLimits(c: Json): void {
  const resources = rec(c.resources);
  const limits = rec(resources?.limits);
  if (!resources || !limits) return;
  const requests = ensureRec(resources, 'requests');
  for (const [name, value] of Object.entries(limits)) if (!(name in requests)) requests[name] = value;
}

function validatePortNumOrName(port: unknown, path: FieldPath): StatusCause[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') {
    if (port === '') return [required(path)];
    return isValidPortName(port).map((m) => invalid(path, port, m));
  }
  return [required(path)];
}

function validateHandler(handler: Json, path: FieldPath, allowed: readonly string[]): StatusCause[] {
  const out: StatusCause[] = [];
  let count = 0;
  for (const kind of allowed) {
    const h = handler[kind];
    if (h === undefined || h === null) continue;
    if (count > 0) {
      out.push(forbidden(path.child(kind), 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const hp = path.child(kind);
    const body = rec(h) ?? {};
    switch (kind) {
      case 'exec':
        if (list(body.command).length === 0) out.push(required(hp.child('command')));
        break;
      case 'httpGet': {
        if (!str(body.path)) out.push(required(hp.child('path')));
        out.push(...validatePortNumOrName(body.port, hp.child('port')));
        const scheme = str(body.scheme);
        if (scheme !== 'HTTP' && scheme !== 'HTTPS')
          out.push(notSupported(hp.child('scheme'), scheme, ['HTTP', 'HTTPS']));
        break;
      }
      case 'tcpSocket':
        out.push(...validatePortNumOrName(body.port, hp.child('port')));
        break;
      case 'grpc': {
        const port = typeof body.port === 'number' ? body.port : 0;
        for (const m of isValidPortNum(port)) out.push(invalid(hp.child('port'), port, m));
        break;
      }
      case 'sleep': {
        const seconds = body.seconds;
        if (typeof seconds !== 'number' || seconds <= 0) {
          out.push(
            invalid(
              hp.child('seconds'),
              seconds ?? 0,
              'must be greater than 0 and less than terminationGracePeriodSeconds',
            ),
          );
        }
        break;
      }
    }
  }
  if (count === 0) out.push(required(path, 'must specify a handler type'));
  return out;
}

function validateProbe(probe: Json, path: FieldPath): StatusCause[] {
  const out = validateHandler(probe, path, HANDLER_KINDS);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    out.push(...validateNonnegative(probe[f], path.child(f)));
  }
  const grace = probe.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace <= 0) {
    out.push(invalid(path.child('terminationGracePeriodSeconds'), grace, 'must be greater than 0'));
  }
  return out;
}

function validatePorts(ports: unknown, path: FieldPath, hostNetwork: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  list(ports).forEach((p, i) => {
    if (!isRecord(p)) return;
    const ip = path.index(i);
    const name = str(p.name);
    if (name !== '') {
      for (const m of isValidPortName(name)) out.push(invalid(ip.child('name'), name, m));
      if (names.has(name)) out.push(duplicate(ip.child('name'), name));
      names.add(name);
    }
    const containerPort = p.containerPort;
    if (containerPort === undefined || containerPort === null || containerPort === 0) {
      out.push(required(ip.child('containerPort')));
    } else {
      for (const m of isValidPortNum(Number(containerPort)))
        out.push(invalid(ip.child('containerPort'), containerPort, m));
    }
    const hostPort = p.hostPort;
    if (typeof hostPort === 'number' && hostPort !== 0) {
      for (const m of isValidPortNum(hostPort)) out.push(invalid(ip.child('hostPort'), hostPort, m));
      if (hostNetwork && hostPort !== containerPort) {
        out.push(
          invalid(ip.child('hostPort'), hostPort, 'must match `containerPort` when `hostNetwork` is true'),
        );
      }
    }
    const protocol = str(p.protocol);
    if (protocol === '') out.push(required(ip.child('protocol')));
    else if (!(PORT_PROTOCOLS as readonly string[]).includes(protocol)) {
      out.push(notSupported(ip.child('protocol'), protocol, PORT_PROTOCOLS));
    }
  });
  return out;
}

function validateKeySelector(sel: Json, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  const name = str(sel.name);
  if (name === '') out.push(required(path.child('name')));
  else for (const m of isDNS1123Subdomain(name)) out.push(invalid(path.child('name'), name, m));
  const key = str(sel.key);
  if (key === '') out.push(required(path.child('key')));
  else for (const m of isConfigMapKey(key)) out.push(invalid(path.child('key'), key, m));
  return out;
}

function validateFieldPathExpression(fieldPath: string, path: FieldPath): StatusCause[] {
  const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (subscript)
    return isQualifiedName((subscript[2] as string).toLowerCase()).map((m) => invalid(path, fieldPath, m));
  if (ENV_FIELD_PATHS.includes(fieldPath)) return [];
  return [
    notSupported(path, fieldPath, [...ENV_FIELD_PATHS, 'metadata.annotations', 'metadata.labels'].sort()),
  ];
}

function validateEnv(env: unknown, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  list(env).forEach((e, i) => {
    if (!isRecord(e)) return;
    const ip = path.index(i);
    const name = str(e.name);
    if (name === '') out.push(required(ip.child('name')));
    else for (const m of isRelaxedEnvVarName(name)) out.push(invalid(ip.child('name'), name, m));
    const from = rec(e.valueFrom);
    if (!from) return;
    const fp = ip.child('valueFrom');
    let sources = 0;
    const fieldRef = rec(from.fieldRef);
    if (fieldRef) {
      sources++;
      if (!str(fieldRef.apiVersion)) out.push(required(fp.child('fieldRef', 'apiVersion')));
      const fieldPath = str(fieldRef.fieldPath);
      if (fieldPath === '') out.push(required(fp.child('fieldRef', 'fieldPath')));
      else out.push(...validateFieldPathExpression(fieldPath, fp.child('fieldRef', 'fieldPath')));
    }
    const resourceFieldRef = rec(from.resourceFieldRef);
    if (resourceFieldRef) {
      sources++;
      if (!str(resourceFieldRef.resource)) out.push(required(fp.child('resourceFieldRef', 'resource')));
    }
    const cm = rec(from.configMapKeyRef);
    if (cm) {
      sources++;
      out.push(...validateKeySelector(cm, fp.child('configMapKeyRef')));
    }
    const secret = rec(from.secretKeyRef);
    if (secret) {
      sources++;
      out.push(...validateKeySelector(secret, fp.child('secretKeyRef')));
    }
    if (sources === 0) {
      out.push(
        invalid(
          fp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (str(e.value) !== '') {
      out.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      out.push(invalid(fp, '', 'may not have more than one field specified at a time'));
    }
  });
  return out;
}

function validateEnvFrom(envFrom: unknown, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  list(envFrom).forEach((e, i) => {
    if (!isRecord(e)) return;
    const ip = path.index(i);
    const prefix = str(e.prefix);
    if (prefix !== '')
      for (const m of isRelaxedEnvVarName(prefix)) out.push(invalid(ip.child('prefix'), prefix, m));
    let sources = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      const ref = rec(e[kind]);
      if (!ref) continue;
      sources++;
      const name = str(ref.name);
      if (name === '') out.push(required(ip.child(kind, 'name')));
      else for (const m of isDNS1123Subdomain(name)) out.push(invalid(ip.child(kind, 'name'), name, m));
    }
    if (sources === 0) out.push(invalid(ip, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) out.push(invalid(ip, '', 'may not have more than one field specified at a time'));
  });
  return out;
}

function validateVolumeMounts(mounts: unknown, path: FieldPath, volumes: Set<string>): StatusCause[] {
  const out: StatusCause[] = [];
  const paths = new Set<string>();
  list(mounts).forEach((m, i) => {
    if (!isRecord(m)) return;
    const ip = path.index(i);
    const name = str(m.name);
    if (name === '') out.push(required(ip.child('name')));
    else if (!volumes.has(name)) out.push(notFound(ip.child('name'), name));
    const mountPath = str(m.mountPath);
    if (mountPath === '') out.push(required(ip.child('mountPath')));
    else if (paths.has(mountPath)) out.push(invalid(ip.child('mountPath'), mountPath, 'must be unique'));
    if (mountPath !== '') paths.add(mountPath);
    const subPath = str(m.subPath);
    if (subPath.startsWith('/')) out.push(invalid(ip.child('subPath'), subPath, 'must be a relative path'));
    if (subPath.split('/').includes('..'))
      out.push(invalid(ip.child('subPath'), subPath, "must not contain '..'"));
  });
  return out;
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function validateResourceName(name: string, path: FieldPath): StatusCause[] {
  const out = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (out.length > 0) return out;
  if (STANDARD_CONTAINER_RESOURCES.has(name) || name.startsWith('hugepages-') || name.includes('/'))
    return [];
  return [invalid(path, name, 'must be a standard resource for containers')];
}

/** A resource list outside containers (node capacity): qualified names, valid non-negative quantities. */
export function validateResourceList(map: unknown, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [name, value] of Object.entries(rec(map) ?? {})) {
    const kp = path.key(name);
    for (const m of isQualifiedName(name)) out.push(invalid(kp, name, m));
    const err = quantityError(value);
    if (err) out.push(invalid(kp, value, err));
    else if ((tryParseQuantity(value)?.mantissa ?? 0n) < 0n) out.push(invalid(kp, value, IS_NEGATIVE_ERROR));
  }
  return out;
}

/** ValidateResourceRequirements: names, valid non-negative quantities, requests not above limits. */
export function validateResources(resources: unknown, path: FieldPath): StatusCause[] {
  const r = rec(resources);
  if (!r) return [];
  const out: StatusCause[] = [];
  const limits = rec(r.limits) ?? {};
  const requests = rec(r.requests) ?? {};
  const check = (map: Json, p: FieldPath) => {
    for (const [name, value] of Object.entries(map)) {
      const kp = p.key(name);
      out.push(...validateResourceName(name, kp));
      const err = quantityError(value);
      if (err) {
        out.push(invalid(kp, value, err));
        continue;
      }
      const q = tryParseQuantity(value);
      if (q && q.mantissa < 0n) out.push(invalid(kp, formatQuantity(q), IS_NEGATIVE_ERROR));
    }
  };
  check(limits, path.child('limits'));
  check(requests, path.child('requests'));
  for (const [name, value] of Object.entries(requests)) {
    const req = tryParseQuantity(value);
    const lim = tryParseQuantity(limits[name]);
    if (req && lim && compareQuantities(req, lim) > 0) {
      out.push(
        invalid(
          path.child('requests').key(name),
          formatQuantity(req),
          `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`,
        ),
      );
    }
  }
  return out;
}

export interface ContainerContext {
  volumes: Set<string>;
  hostNetwork: boolean;
  /** Init containers may not have probes unless they are sidecars (restartPolicy: Always). */
  init: boolean;
}

/** Validates one container (its name's uniqueness is checked by the caller across all containers). */
export function validateContainer(c: Json, path: FieldPath, ctx: ContainerContext): StatusCause[] {
  const out: StatusCause[] = [];
  const name = str(c.name);
  if (name === '') out.push(required(path.child('name')));
  else for (const m of isDNS1123Label(name)) out.push(invalid(path.child('name'), name, m));

  const image = str(c.image);
  if (image === '') out.push(required(path.child('image')));
  else if (image !== image.trim())
    out.push(invalid(path.child('image'), image, 'must not have leading or trailing whitespace'));

  const pull = str(c.imagePullPolicy);
  if (pull === '') out.push(required(path.child('imagePullPolicy')));
  else if (!(PULL_POLICIES as readonly string[]).includes(pull))
    out.push(notSupported(path.child('imagePullPolicy'), pull, PULL_POLICIES));

  const tmp = str(c.terminationMessagePolicy);
  if (tmp === '') out.push(required(path.child('terminationMessagePolicy')));
  else if (!(TERMINATION_MESSAGE_POLICIES as readonly string[]).includes(tmp)) {
    out.push(notSupported(path.child('terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  }

  const restartPolicy = c.restartPolicy;
  const sidecar = ctx.init && restartPolicy === 'Always';
  if (restartPolicy !== undefined && restartPolicy !== null) {
    if (!ctx.init) out.push(forbidden(path.child('restartPolicy'), 'may not be set for non-init containers'));
    else if (restartPolicy !== 'Always')
      out.push(notSupported(path.child('restartPolicy'), restartPolicy, ['Always']));
  }

  out.push(...validatePorts(c.ports, path.child('ports'), ctx.hostNetwork));
  out.push(...validateEnv(c.env, path.child('env')));
  out.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  out.push(...validateVolumeMounts(c.volumeMounts, path.child('volumeMounts'), ctx.volumes));
  out.push(...validateResources(c.resources, path.child('resources')));

  for (const kind of PROBE_KINDS) {
    const probe = rec(c[kind]);
    if (!probe) continue;
    if (ctx.init && !sidecar) {
      out.push(
        forbidden(path.child(kind), 'may not be set for init containers without restartPolicy=Always'),
      );
      continue;
    }
    out.push(...validateProbe(probe, path.child(kind)));
    if (kind !== 'readinessProbe' && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
      out.push(invalid(path.child(kind, 'successThreshold'), probe.successThreshold, 'must be 1'));
    }
  }
  const lifecycle = rec(c.lifecycle);
  if (lifecycle) {
    for (const hook of ['postStart', 'preStop']) {
      const h = rec(lifecycle[hook]);
      if (h)
        out.push(
          ...validateHandler(h, path.child('lifecycle', hook), [
            ...HANDLER_KINDS.filter((k) => k !== 'grpc'),
            'sleep',
          ]),
        );
    }
  }
  return out;
}

// Services (core/v1): defaulting (SetDefaults_Service plus the IP family fields the service REST fills),
// validation (ValidateService / ValidateServiceUpdate) and the table kubectl prints. Allocating cluster IPs and
// node ports is not done here; an allocator does it (and checks ranges against what is free).
import { formatLabels } from '../../../shared/labels';
import type { StatusCause } from '../../../shared/status';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv6,
  isValidIP,
  isValidPortName,
  isValidPortNum,
  nameIsDNS1035Label,
} from '../../../shared/validation';
import { duplicate, FieldPath, forbidden, invalid, notSupported, required } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate, validateLabels } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { keepOldStatus, resourceOf, type FlotillaStrategy } from './common/strategy';
import { clone, ensureRec, isRecord, list, rec, recList, setDefault, str, type Json } from './common/util';
import type { KubeObject } from './types';

const SPEC = FieldPath.root('spec');
export const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
/** The default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

const isHeadless = (spec: Json) => spec.clusterIP === 'None';
const externallyAccessible = (spec: Json) =>
  spec.type === 'LoadBalancer' ||
  spec.type === 'NodePort' ||
  (spec.type === 'ClusterIP' && list(spec.externalIPs).length > 0);

function defaults(obj: KubeObject): void {
  const spec = (obj.spec ??= {});
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ensureRec(ensureRec(spec, 'sessionAffinityConfig'), 'clientIP');
    setDefault(clientIP, 'timeoutSeconds', 10800);
  }
  for (const port of recList(spec.ports)) {
    setDefault(port, 'protocol', 'TCP');
    if (
      port.targetPort === undefined ||
      port.targetPort === null ||
      port.targetPort === 0 ||
      port.targetPort === ''
    ) {
      port.targetPort = port.port;
    }
  }
  if (externallyAccessible(spec)) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.internalTrafficPolicy === undefined && spec.type !== 'ExternalName')
    spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined)
    spec.allocateLoadBalancerNodePorts = true;
  normalizeClusterIPs(spec);
  if (spec.type !== 'ExternalName') {
    const headlessWithoutSelector = isHeadless(spec) && Object.keys(rec(spec.selector) ?? {}).length === 0;
    setDefault(spec, 'ipFamilyPolicy', headlessWithoutSelector ? 'RequireDualStack' : 'SingleStack');
    if (list(spec.ipFamilies).length === 0) {
      const ips = list(spec.clusterIPs)
        .map(String)
        .filter((ip) => ip !== 'None');
      spec.ipFamilies = ips.length > 0 ? ips.map((ip) => (isIPv6(ip) ? 'IPv6' : 'IPv4')) : ['IPv4'];
    }
  }
}

/** clusterIP and clusterIPs[0] are the same field seen twice; whichever the client set fills the other. */
function normalizeClusterIPs(spec: Json): void {
  const ips = list(spec.clusterIPs);
  const ip = str(spec.clusterIP);
  if (ip !== '' && ips.length === 0) spec.clusterIPs = [ip];
  else if (ip === '' && ips.length > 0) spec.clusterIP = String(ips[0]);
}

/**
 * patchAllocatedValues: an update that leaves out what the server allocated (cluster IPs, node ports, IP
 * families) keeps the stored values, so `kubectl replace` of the original manifest works.
 */
export function patchAllocatedValues(obj: KubeObject, old: KubeObject): void {
  const spec = (obj.spec ??= {});
  const oldSpec = (old.spec ?? {}) as Json;
  const needsClusterIP = (s: Json) => (s.type ?? 'ClusterIP') !== 'ExternalName';
  if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
    if (!str(spec.clusterIP) && list(spec.clusterIPs).length === 0) {
      if (oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP;
      if (oldSpec.clusterIPs !== undefined) spec.clusterIPs = clone(oldSpec.clusterIPs);
    }
    normalizeClusterIPs(spec);
    if (oldSpec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy === undefined)
      spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    if (list(spec.ipFamilies).length === 0 && oldSpec.ipFamilies !== undefined)
      spec.ipFamilies = clone(oldSpec.ipFamilies);
  }
  const needsNodePort = (s: Json) => s.type === 'NodePort' || s.type === 'LoadBalancer';
  if (needsNodePort(oldSpec) && needsNodePort(spec)) {
    const oldPorts = recList(oldSpec.ports);
    for (const port of recList(spec.ports)) {
      if (port.nodePort !== undefined && port.nodePort !== 0) continue;
      const match =
        oldPorts.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP')) ??
        oldPorts.find((p) => port.name !== undefined && p.name === port.name);
      if (match?.nodePort) port.nodePort = match.nodePort;
    }
    if (spec.healthCheckNodePort === undefined && oldSpec.healthCheckNodePort !== undefined) {
      spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
    }
  }
}

function validateSpec(spec: Json): StatusCause[] {
  const out: StatusCause[] = [];
  const type = str(spec.type);
  const ports = list(spec.ports);
  const headless = isHeadless(spec);
  const clusterIPs = list(spec.clusterIPs).map(String);

  if (type === '') out.push(required(SPEC.child('type')));
  else if (!(SERVICE_TYPES as readonly string[]).includes(type))
    out.push(notSupported(SPEC.child('type'), type, SERVICE_TYPES));

  if (ports.length === 0 && !headless && type !== 'ExternalName') out.push(required(SPEC.child('ports')));

  if (type === 'ExternalName') {
    if (str(spec.clusterIP) !== '' || clusterIPs.length > 0) {
      out.push(forbidden(SPEC.child('clusterIP'), 'may not be set for ExternalName services'));
    }
    const name = str(spec.externalName).replace(/\.$/, '');
    if (name === '') out.push(required(SPEC.child('externalName')));
    else
      for (const m of isDNS1123Subdomain(name))
        out.push(invalid(SPEC.child('externalName'), spec.externalName, m));
  } else if ((type === 'NodePort' || type === 'LoadBalancer') && headless) {
    out.push(
      invalid(SPEC.child('clusterIPs').index(0), 'None', `may not be set to 'None' for ${type} services`),
    );
  }

  // Cluster IPs: each a valid IP ("None" only as the single value of a headless service).
  if (str(spec.clusterIP) !== '' && clusterIPs.length > 0 && spec.clusterIP !== clusterIPs[0]) {
    out.push(invalid(SPEC.child('clusterIPs'), clusterIPs, 'first value must match `clusterIP`'));
  }
  clusterIPs.forEach((ip, i) => {
    if (ip === 'None' && i === 0 && clusterIPs.length === 1) return;
    if (ip === 'None') {
      out.push(invalid(SPEC.child('clusterIPs').index(i), ip, "'None' must be the first and only value"));
      return;
    }
    for (const m of isValidIP(ip)) out.push(invalid(SPEC.child('clusterIPs').index(i), ip, m));
  });
  if (clusterIPs.length > 2)
    out.push(invalid(SPEC.child('clusterIPs'), clusterIPs, 'may only hold up to 2 values'));

  const names = new Set<string>();
  const seen = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!isRecord(p)) return;
    const pp = SPEC.child('ports').index(i);
    const name = str(p.name);
    if (ports.length > 1 && name === '') out.push(required(pp.child('name')));
    else if (name !== '') {
      for (const m of isDNS1123Label(name)) out.push(invalid(pp.child('name'), name, m));
      if (names.has(name)) out.push(duplicate(pp.child('name'), name));
      names.add(name);
    }
    const port = typeof p.port === 'number' ? p.port : 0;
    for (const m of isValidPortNum(port)) out.push(invalid(pp.child('port'), port, m));
    const protocol = str(p.protocol);
    if (protocol === '') out.push(required(pp.child('protocol')));
    else if (!(PROTOCOLS as readonly string[]).includes(protocol))
      out.push(notSupported(pp.child('protocol'), protocol, PROTOCOLS));
    const target = p.targetPort;
    if (typeof target === 'number')
      for (const m of isValidPortNum(target)) out.push(invalid(pp.child('targetPort'), target, m));
    else if (typeof target === 'string')
      for (const m of isValidPortName(target)) out.push(invalid(pp.child('targetPort'), target, m));

    const key = `${protocol}/${port}`;
    if (seen.has(key)) out.push(duplicate(pp, { port, protocol }));
    seen.add(key);

    const nodePort = typeof p.nodePort === 'number' ? p.nodePort : 0;
    if (nodePort !== 0) {
      if (type === 'ClusterIP')
        out.push(forbidden(pp.child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else if (type === 'ExternalName')
        out.push(forbidden(pp.child('nodePort'), "may not be used when `type` is 'ExternalName'"));
      const errs = isValidPortNum(nodePort);
      for (const m of errs) out.push(invalid(pp.child('nodePort'), nodePort, m));
      if (errs.length === 0 && (nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max)) {
        out.push(
          invalid(
            pp.child('nodePort'),
            nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
          ),
        );
      }
      const npKey = `${protocol}/${nodePort}`;
      if (nodePorts.has(npKey)) out.push(duplicate(pp.child('nodePort'), nodePort));
      nodePorts.add(npKey);
    }
  });

  const affinity = str(spec.sessionAffinity);
  if (affinity === '') out.push(required(SPEC.child('sessionAffinity')));
  else if (affinity !== 'ClientIP' && affinity !== 'None') {
    out.push(notSupported(SPEC.child('sessionAffinity'), affinity, ['ClientIP', 'None']));
  }
  if (affinity === 'ClientIP') {
    const timeout = rec(rec(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds;
    if (typeof timeout === 'number' && (timeout <= 0 || timeout > 86400)) {
      out.push(
        invalid(
          SPEC.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds'),
          timeout,
          'must be greater than 0 and less than 86400',
        ),
      );
    }
  }

  out.push(...validateLabels(spec.selector, SPEC.child('selector')));
  list(spec.externalIPs).forEach((ip, i) => {
    for (const m of isValidIP(String(ip))) out.push(invalid(SPEC.child('externalIPs').index(i), ip, m));
  });

  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && policy !== null) {
    const valid = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
    if (!valid.includes(String(policy))) out.push(notSupported(SPEC.child('ipFamilyPolicy'), policy, valid));
  }
  const families = list(spec.ipFamilies).map(String);
  families.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6')
      out.push(notSupported(SPEC.child('ipFamilies').index(i), f, ['IPv4', 'IPv6']));
    if (families.indexOf(f) !== i) out.push(duplicate(SPEC.child('ipFamilies').index(i), f));
  });
  if (families.length > 1 && policy === 'SingleStack') {
    out.push(
      invalid(
        SPEC.child('ipFamilies'),
        families,
        'when multiple IP families are specified, `ipFamilyPolicy` must be PreferDualStack or RequireDualStack',
      ),
    );
  }

  const etp = spec.externalTrafficPolicy;
  if (etp !== undefined && etp !== null && etp !== '') {
    if (etp !== 'Cluster' && etp !== 'Local')
      out.push(notSupported(SPEC.child('externalTrafficPolicy'), etp, ['Cluster', 'Local']));
    else if (!externallyAccessible(spec)) {
      out.push(
        invalid(
          SPEC.child('externalTrafficPolicy'),
          etp,
          'may only be set for externally-accessible services',
        ),
      );
    }
  }
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local') {
    out.push(notSupported(SPEC.child('internalTrafficPolicy'), itp, ['Cluster', 'Local']));
  }
  return out;
}

function validateUpgradeDowngrade(spec: Json, oldSpec: Json): StatusCause[] {
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
  const out: StatusCause[] = [];
  const ips = list(spec.clusterIPs).map(String);
  const oldIPs = list(oldSpec.clusterIPs).map(String);
  if (oldIPs.length > 0) {
    if (ips.length === 0)
      out.push(invalid(SPEC.child('clusterIPs').index(0), ips, 'primary clusterIP can not be unset'));
    else if (ips[0] !== oldIPs[0])
      out.push(invalid(SPEC.child('clusterIPs').index(0), ips, 'may not change once set'));
    if (ips.length > 1 && oldIPs.length > 1 && ips[1] !== oldIPs[1]) {
      out.push(invalid(SPEC.child('clusterIPs').index(1), ips, 'may not change once set'));
    }
  }
  const families = list(spec.ipFamilies).map(String);
  const oldFamilies = list(oldSpec.ipFamilies).map(String);
  if (oldFamilies.length > 0 && families.length > 0 && families[0] !== oldFamilies[0]) {
    out.push(invalid(SPEC.child('ipFamilies').index(0), families, 'may not change once set'));
  }
  return out;
}

// ---- printing (printService) ----

function externalIP(spec: Json, status: Json): string {
  const externalIPs = list(spec.externalIPs).map(String);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = recList(rec(status.loadBalancer)?.ingress)
        .map((i) => str(i.ip) || str(i.hostname))
        .filter((s) => s !== '');
      const lb = [...new Set(ingress)].sort();
      if (externalIPs.length > 0) return [...lb, ...externalIPs].join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

export function servicePortsCell(ports: unknown): string {
  const pieces = recList(ports).map((p) => {
    const nodePort = typeof p.nodePort === 'number' ? p.nodePort : 0;
    return nodePort > 0
      ? `${String(p.port)}:${nodePort}/${str(p.protocol)}`
      : `${String(p.port)}/${str(p.protocol)}`;
  });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

const specOf = (o: KubeObject) => (o.spec ?? {}) as Json;

function prepareForUpdate(obj: KubeObject, old: KubeObject): void {
  patchAllocatedValues(obj, old);
  keepOldStatus(obj, old);
}

export const serviceStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'services'),
  defaults,
  prepareForUpdate,
  validateCreate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: true, nameFn: nameIsDNS1035Label }),
    ...validateSpec(specOf(obj)),
  ],
  validateUpdate(obj, old) {
    // The contract has no update-preparation hook yet, so the allocated values are carried over here (an
    // idempotent step) before the immutability checks look at them.
    patchAllocatedValues(obj, old);
    return [
      ...validateObjectMetaUpdate(obj, old),
      ...validateSpec(specOf(obj)),
      ...validateUpgradeDowngrade(specOf(obj), specOf(old)),
    ];
  },
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column(
      'Cluster-IP',
      'string',
      'clusterIP is the IP address of the service and is usually assigned randomly.',
    ),
    column(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    column(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector.',
      1,
    ),
  ],
  row(obj, now) {
    const spec = specOf(obj);
    const status = (obj.status ?? {}) as Json;
    const clusterIPs = list(spec.clusterIPs).map(String);
    return [
      obj.metadata?.name ?? '',
      str(spec.type),
      clusterIPs[0] ?? (str(spec.clusterIP) || '<none>'),
      externalIP(spec, status),
      servicePortsCell(spec.ports),
      since(obj.metadata?.creationTimestamp, now),
      formatLabels(rec(spec.selector) as Record<string, string> | undefined),
    ];
  },
  fieldSelectors: {
    'spec.clusterIP': (o) => str(specOf(o).clusterIP),
    'spec.type': (o) => str(specOf(o).type),
  },
};

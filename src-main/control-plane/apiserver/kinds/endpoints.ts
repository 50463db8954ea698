// Endpoints (core/v1): written by the endpoints controller; validated like ValidateEndpoints.
import type { StatusCause } from '../../../shared/status';
import { isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortNum } from '../../../shared/validation';
import { duplicate, FieldPath, invalid, notSupported, required } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { isRecord, list, recList, str, type Json } from './common/util';
import type { KubeObject } from './types';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;

function validateAddress(a: Json, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  const ip = str(a.ip);
  const errs = isValidIP(ip);
  for (const m of errs) out.push(invalid(path.child('ip'), ip, m));
  if (errs.length === 0) {
    if (ip === '0.0.0.0' || ip === '::')
      out.push(invalid(path.child('ip'), ip, 'may not be unspecified (0.0.0.0)'));
    else if (ip.startsWith('127.') || ip === '::1') {
      out.push(invalid(path.child('ip'), ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
    }
  }
  const hostname = str(a.hostname);
  if (hostname !== '')
    for (const m of isDNS1123Label(hostname)) out.push(invalid(path.child('hostname'), hostname, m));
  const nodeName = str(a.nodeName);
  if (nodeName !== '')
    for (const m of isDNS1123Subdomain(nodeName)) out.push(invalid(path.child('nodeName'), nodeName, m));
  return out;
}

function validateSubsets(subsets: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  list(subsets).forEach((ss, i) => {
    if (!isRecord(ss)) return;
    const sp = FieldPath.root('subsets').index(i);
    recList(ss.addresses).forEach((a, j) => out.push(...validateAddress(a, sp.child('addresses').index(j))));
    recList(ss.notReadyAddresses).forEach((a, j) =>
      out.push(...validateAddress(a, sp.child('notReadyAddresses').index(j))),
    );
    const ports = recList(ss.ports);
    const names = new Set<string>();
    ports.forEach((p, j) => {
      const pp = sp.child('ports').index(j);
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
    });
  });
  return out;
}

/** formatEndpoints: up to three `ip:port`, then `+ N more...`; `<none>` without subsets. */
export function endpointsCell(subsets: unknown): string {
  const ss = recList(subsets);
  if (ss.length === 0) return '<none>';
  const max = 3;
  const items: string[] = [];
  let count = 0;
  let more = false;
  for (const s of ss) {
    const addresses = recList(s.addresses);
    const ports = recList(s.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (items.length === max) {
          more = true;
          break;
        }
        items.push(str(a.ip));
      }
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (items.length === max) {
          more = true;
          break;
        }
        const ip = str(a.ip);
        items.push(`${ip.includes(':') ? `[${ip}]` : ip}:${String(p.port)}`);
      }
    }
  }
  const joined = items.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

function defaults(obj: KubeObject): void {
  for (const ss of recList((obj as Json).subsets))
    for (const p of recList(ss.ports)) if (!p.protocol) p.protocol = 'TCP';
}

export const endpointsStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'endpoints'),
  defaults,
  validateCreate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: true }),
    ...validateSubsets((obj as Json).subsets),
  ],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateSubsets((obj as Json).subsets),
  ],
  columns: [
    NAME_COLUMN,
    column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'),
    AGE_COLUMN,
  ],
  row: (obj, now) => [
    obj.metadata?.name ?? '',
    endpointsCell((obj as Json).subsets),
    since(obj.metadata?.creationTimestamp, now),
  ],
};

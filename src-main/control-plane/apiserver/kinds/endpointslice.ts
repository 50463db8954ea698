// EndpointSlices (discovery.k8s.io/v1): address type, endpoints and ports, validated like
// pkg/apis/discovery/validation.
import type { StatusCause } from '../../../shared/status';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv4,
  isIPv6,
  isValidPortNum,
} from '../../../shared/validation';
import {
  duplicate,
  FieldPath,
  invalid,
  notSupported,
  required,
  tooMany,
  validateImmutable,
} from './common/field';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { list, recList, str, type Json } from './common/util';
import type { KubeObject } from './types';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

function validateAddress(type: string, address: string, path: FieldPath): StatusCause[] {
  switch (type) {
    case 'IPv4':
      return isIPv4(address) ? [] : [invalid(path, address, 'must be a valid IPv4 address')];
    case 'IPv6':
      return isIPv6(address) ? [] : [invalid(path, address, 'must be a valid IPv6 address')];
    case 'FQDN':
      return isDNS1123Subdomain(address.replace(/\.$/, '')).map((m) => invalid(path, address, m));
    default:
      return [];
  }
}

function validateSlice(obj: Json): StatusCause[] {
  const out: StatusCause[] = [];
  const type = str(obj.addressType);
  if (type === '') out.push(required(FieldPath.root('addressType')));
  else if (!(ADDRESS_TYPES as readonly string[]).includes(type))
    out.push(notSupported(FieldPath.root('addressType'), type, ADDRESS_TYPES));

  const endpoints = recList(obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS)
    out.push(tooMany(FieldPath.root('endpoints'), endpoints.length, MAX_ENDPOINTS));
  endpoints.forEach((ep, i) => {
    const p = FieldPath.root('endpoints').index(i);
    const addresses = list(ep.addresses).map(String);
    if (addresses.length === 0) out.push(required(p.child('addresses'), 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES)
      out.push(tooMany(p.child('addresses'), addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => out.push(...validateAddress(type, a, p.child('addresses').index(j))));
    const hostname = str(ep.hostname);
    if (hostname !== '')
      for (const m of isDNS1123Label(hostname)) out.push(invalid(p.child('hostname'), hostname, m));
    const nodeName = str(ep.nodeName);
    if (nodeName !== '')
      for (const m of isDNS1123Subdomain(nodeName)) out.push(invalid(p.child('nodeName'), nodeName, m));
    out.push(...validateLabels(ep.deprecatedTopology, p.child('deprecatedTopology')));
  });

  const ports = recList(obj.ports);
  if (ports.length > MAX_PORTS) out.push(tooMany(FieldPath.root('ports'), ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = FieldPath.root('ports').index(i);
    const name = str(port.name);
    if (name !== '') for (const m of isDNS1123Label(name)) out.push(invalid(p.child('name'), name, m));
    if (names.has(name)) out.push(duplicate(p.child('name'), name));
    names.add(name);
    if (typeof port.port === 'number')
      for (const m of isValidPortNum(port.port)) out.push(invalid(p.child('port'), port.port, m));
    const protocol = str(port.protocol);
    if (protocol === '') out.push(required(p.child('protocol')));
    else if (!(PROTOCOLS as readonly string[]).includes(protocol))
      out.push(notSupported(p.child('protocol'), protocol, PROTOCOLS));
  });
  return out;
}

function defaults(obj: KubeObject): void {
  for (const p of recList((obj as Json).ports)) if (!p.protocol) p.protocol = 'TCP';
}

/** formatDiscoveryPorts / formatDiscoveryEndpoints: up to three, then `+ N more...`; `<unset>` when empty. */
function listWithMore(items: string[]): string {
  const max = 3;
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length === 0 ? '<unset>' : items.join(',');
}

export const endpointSliceStrategy: FlotillaStrategy = {
  resource: resourceOf('discovery.k8s.io', 'endpointslices'),
  defaults,
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: true }), ...validateSlice(obj as Json)],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateSlice(obj as Json),
    ...validateImmutable((obj as Json).addressType, (old as Json).addressType, FieldPath.root('addressType')),
  ],
  columns: [
    NAME_COLUMN,
    column(
      'AddressType',
      'string',
      'addressType specifies the type of address carried by this EndpointSlice.',
    ),
    column(
      'Ports',
      'string',
      'ports specifies the list of network ports exposed by each endpoint in this slice.',
    ),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const o = obj as Json;
    const ports = recList(o.ports).map((p) =>
      typeof p.port === 'number' ? String(p.port) : str(p.name) || '*',
    );
    const addresses = recList(o.endpoints).flatMap((e) => list(e.addresses).map(String));
    return [
      obj.metadata?.name ?? '',
      str(o.addressType),
      listWithMore(ports),
      listWithMore(addresses),
      since(obj.metadata?.creationTimestamp, now),
    ];
  },
};

// Generates src-main/control-plane/apiserver/schema/generated/definitions.json: OpenAPI v2-style
// definitions, under canonical Kubernetes names, for every kind Flotilla serves (RESOURCES), their
// List kinds, the meta types the API server speaks (Status, WatchEvent, DeleteOptions, Scale), and
// everything those reference.
//
// Source: @kubernetes/client-node (devDependency). Its generated model classes carry each field's
// JSON name, type and format (`attributeTypeMap`), and its .d.ts files carry the Go doc comments as
// JSDoc. What the client lost on the way from the real OpenAPI spec is put back by hand here: the
// API group of each type, which string fields are Quantities, and the strategic-merge-patch and
// list-type metadata of the Go struct tags (k8s.io/api core/v1, apps/v1 and meta/v1 types.go).
//
// Run: npx tsx scripts/generate-openapi.ts   (output is deterministic: sorted keys, no timestamps)
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { RESOURCES } from '../src-main/shared/resources';

type Schema = Record<string, unknown>;
interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const clientPkg = require.resolve('@kubernetes/client-node/package.json');
const modelsDir = join(dirname(clientPkg), 'dist/gen/models');
const outFile = join(repoRoot, 'src-main/control-plane/apiserver/schema/generated/definitions.json');

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

// ---------------------------------------------------------------------------------------------
// Which API package a client model class belongs to. The client flattens every group into one
// namespace (prefixing only clashing names), so the group comes from this table; anything not
// listed is core/v1.
const META_TYPES = new Set([
  'APIGroup',
  'APIGroupList',
  'APIResource',
  'APIResourceList',
  'APIVersions',
  'Condition',
  'DeleteOptions',
  'GroupVersionForDiscovery',
  'LabelSelector',
  'LabelSelectorRequirement',
  'ListMeta',
  'ManagedFieldsEntry',
  'ObjectMeta',
  'OwnerReference',
  'Preconditions',
  'ServerAddressByClientCIDR',
  'Status',
  'StatusCause',
  'StatusDetails',
  'WatchEvent',
]);
const APPS_TYPES = /^(Deployment|ReplicaSet|DaemonSet|RollingUpdateDeployment|RollingUpdateDaemonSet)/;
const DISCOVERY_TYPES = new Set([
  'EndpointSlice',
  'EndpointSliceList',
  'Endpoint',
  'EndpointConditions',
  'EndpointHints',
  'ForZone',
  'ForNode',
]);
const COORDINATION_TYPES = new Set(['Lease', 'LeaseList', 'LeaseSpec']);
const AUTOSCALING_TYPES = new Set(['Scale', 'ScaleSpec', 'ScaleStatus']);
const CERTIFICATES_TYPES = /^CertificateSigningRequest/;

function canonicalName(className: string): string {
  const prefixed = /^(Core|Events|Discovery)V1(.+)$/.exec(className);
  if (prefixed) {
    const pkg = { Core: 'core', Events: 'events', Discovery: 'discovery' }[prefixed[1] as 'Core'];
    return `io.k8s.api.${pkg}.v1.${prefixed[2]}`;
  }
  const m = /^V1(.+)$/.exec(className);
  if (!m) throw new Error(`unexpected model class outside v1: ${className}`);
  const name = m[1]!;
  if (META_TYPES.has(name)) return `${META}.${name}`;
  if (APPS_TYPES.test(name)) return `io.k8s.api.apps.v1.${name}`;
  if (DISCOVERY_TYPES.has(name)) return `io.k8s.api.discovery.v1.${name}`;
  if (COORDINATION_TYPES.has(name)) return `io.k8s.api.coordination.v1.${name}`;
  if (AUTOSCALING_TYPES.has(name)) return `io.k8s.api.autoscaling.v1.${name}`;
  if (CERTIFICATES_TYPES.test(name)) return `io.k8s.api.certificates.v1.${name}`;
  if (name === 'Eviction') return `io.k8s.api.policy.v1.${name}`;
  return `io.k8s.api.core.v1.${name}`;
}

// The client model class for a served kind (core and events both have an `Event`).
function classForKind(group: string, kind: string): string {
  if (group === '' && (kind === 'Event' || kind === 'EventList')) return `CoreV1${kind}`;
  if (group === 'events.k8s.io') return `EventsV1${kind}`;
  return `V1${kind}`;
}

// ---------------------------------------------------------------------------------------------
// Fields whose Go type is resource.Quantity (or a ResourceList, map[ResourceName]Quantity). The
// client types them as plain strings; the apiserver accepts numbers too.
const QUANTITY_FIELDS = new Set(['EmptyDirVolumeSource.sizeLimit', 'ResourceFieldSelector.divisor']);
const QUANTITY_MAP_FIELDS = new Set([
  'ResourceRequirements.limits',
  'ResourceRequirements.requests',
  'VolumeResourceRequirements.limits',
  'VolumeResourceRequirements.requests',
  'PodSpec.overhead',
  'NodeStatus.capacity',
  'NodeStatus.allocatable',
  'ContainerStatus.allocatedResources',
  'PodStatus.allocatedResources',
  'NodeAllocatableResourceClaimStatus.resources',
  'PersistentVolumeClaimStatus.capacity',
  'PersistentVolumeClaimStatus.allocatedResources',
]);

// Fields whose Go type is `any`-like: the client says `any`.
const ANY_FIELDS: Record<string, string> = {
  'ManagedFieldsEntry.fieldsV1': `${META}.FieldsV1`,
  'WatchEvent.object': RAW_EXTENSION,
};

// Strategic-merge-patch and list-type metadata from the Go struct tags. Key: `<Type>.<field>`
// with the type's short name. `strategy` is x-kubernetes-patch-strategy, `key` the patch merge key.
interface ListMeta {
  strategy?: string;
  key?: string;
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
}
const mergeBy = (key: string, mapKeys: string[] = [key]): ListMeta => ({
  strategy: 'merge',
  key,
  listType: 'map',
  mapKeys,
});
const CONTAINER_LISTS: Record<string, ListMeta> = {
  ports: mergeBy('containerPort', ['containerPort', 'protocol']),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
  envFrom: { listType: 'atomic' },
  command: { listType: 'atomic' },
  args: { listType: 'atomic' },
  resizePolicy: { listType: 'atomic' },
};
const PATCH_META: Record<string, ListMeta> = {
  // meta/v1
  'ObjectMeta.ownerReferences': mergeBy('uid'),
  'ObjectMeta.finalizers': { strategy: 'merge', listType: 'set' },
  'LabelSelector.matchExpressions': { listType: 'atomic' },
  // core/v1 Pod
  'PodSpec.volumes': { ...mergeBy('name'), strategy: 'merge,retainKeys' },
  'PodSpec.initContainers': mergeBy('name'),
  'PodSpec.containers': mergeBy('name'),
  'PodSpec.ephemeralContainers': mergeBy('name'),
  'PodSpec.imagePullSecrets': mergeBy('name'),
  'PodSpec.hostAliases': mergeBy('ip'),
  'PodSpec.topologySpreadConstraints': mergeBy('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
  'PodSpec.resourceClaims': { ...mergeBy('name'), strategy: 'merge,retainKeys' },
  'PodSpec.schedulingGates': mergeBy('name'),
  'PodSpec.tolerations': { listType: 'atomic' },
  'PodSpec.readinessGates': { listType: 'atomic' },
  ...Object.fromEntries(
    Object.entries(CONTAINER_LISTS).flatMap(([field, meta]) => [
      [`Container.${field}`, meta],
      [`EphemeralContainer.${field}`, meta],
    ]),
  ),
  'PodStatus.conditions': mergeBy('type'),
  'PodStatus.podIPs': mergeBy('ip'),
  'PodStatus.hostIPs': { strategy: 'merge', key: 'ip', listType: 'atomic' },
  'PodStatus.initContainerStatuses': { listType: 'atomic' },
  'PodStatus.containerStatuses': { listType: 'atomic' },
  'PodStatus.ephemeralContainerStatuses': { listType: 'atomic' },
  'PodStatus.resourceClaimStatuses': { ...mergeBy('name'), strategy: 'merge,retainKeys' },
  // core/v1 Node, Namespace, Service, ServiceAccount, Endpoints
  'NodeSpec.podCIDRs': { strategy: 'merge', listType: 'set' },
  'NodeSpec.taints': { listType: 'atomic' },
  'NodeStatus.conditions': mergeBy('type'),
  'NodeStatus.addresses': mergeBy('type'),
  'NodeStatus.images': { listType: 'atomic' },
  'NodeStatus.volumesInUse': { listType: 'atomic' },
  'NodeStatus.volumesAttached': { listType: 'atomic' },
  'NamespaceStatus.conditions': mergeBy('type'),
  'ServiceSpec.ports': mergeBy('port', ['port', 'protocol']),
  'ServiceSpec.clusterIPs': { listType: 'atomic' },
  'ServiceSpec.externalIPs': { listType: 'atomic' },
  'ServiceSpec.ipFamilies': { listType: 'atomic' },
  'ServiceSpec.loadBalancerSourceRanges': { listType: 'atomic' },
  'ServiceStatus.conditions': mergeBy('type'),
  'ServiceAccount.secrets': { ...mergeBy('name'), listType: 'atomic', mapKeys: undefined },
  'ServiceAccount.imagePullSecrets': { listType: 'atomic' },
  'Endpoints.subsets': { listType: 'atomic' },
  // apps/v1
  'DeploymentSpec.strategy': { strategy: 'retainKeys' },
  'DeploymentStatus.conditions': mergeBy('type'),
  'ReplicaSetStatus.conditions': mergeBy('type'),
  'DaemonSetStatus.conditions': mergeBy('type'),
  // certificates/v1
  'CertificateSigningRequestSpec.usages': { listType: 'atomic' },
  'CertificateSigningRequestSpec.groups': { listType: 'atomic' },
  'CertificateSigningRequestStatus.conditions': { listType: 'map', mapKeys: ['type'] },
  // discovery/v1
  'EndpointSlice.endpoints': { listType: 'atomic' },
  'EndpointSlice.ports': { listType: 'atomic' },
};

// Descriptions the client drops for fields that reference another type (it keeps only the
// type's own doc). These are the Go doc comments of the common top-level fields.
const OBJECT_META_DOC =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_META_DOC =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const SPEC_DOC = (what: string) =>
  `Spec defines the desired behavior of the ${what}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status`;
const STATUS_DOC = (what: string) =>
  `Status represents the most recently observed status of the ${what}. This data may not be up to date. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status`;

// ---------------------------------------------------------------------------------------------
// Reading one model: attributes from the .js class, descriptions and required-ness from the .d.ts.

interface Model {
  className: string;
  description: string;
  attributes: Attribute[];
  fieldDocs: Map<string, string>;
  required: Set<string>;
}

function unescapeDoc(text: string): string {
  return text.replace(/\\(['"\\])/g, '$1').trim();
}

async function readModel(className: string): Promise<Model> {
  const mod = (await import(join(modelsDir, `${className}.js`))) as Record<string, unknown>;
  const cls = mod[className] as { attributeTypeMap?: Attribute[] } | undefined;
  if (!cls?.attributeTypeMap) throw new Error(`model ${className} has no attributeTypeMap`);
  const dts = readFileSync(join(modelsDir, `${className}.d.ts`), 'utf8');
  const lines = dts.split('\n');
  let description = '';
  const fieldDocs = new Map<string, string>();
  const required = new Set<string>();
  let comment: string[] | null = null;
  let lastComment = '';
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '/**') {
      comment = [];
      continue;
    }
    if (comment && trimmed === '*/') {
      lastComment = unescapeDoc(comment.join('\n'));
      comment = null;
      continue;
    }
    if (comment) {
      comment.push(trimmed.replace(/^\* ?/, ''));
      continue;
    }
    if (trimmed.startsWith('export declare class')) {
      description = lastComment;
      lastComment = '';
      continue;
    }
    const prop = /^'([^']+)'(\?)?:/.exec(trimmed);
    if (prop && line.startsWith('    ') && !line.startsWith('     ')) {
      if (lastComment) fieldDocs.set(prop[1]!, lastComment);
      if (!prop[2]) required.add(prop[1]!);
      lastComment = '';
      continue;
    }
    if (trimmed && !trimmed.startsWith('import')) lastComment = '';
  }
  // The header comment of every file is the generator banner, not the type's doc.
  if (description.startsWith('Kubernetes\nNo description provided')) description = '';
  // The .d.ts names fields by their TypeScript name (`_continue`); the schema uses the JSON name.
  const byJson = new Map<string, string>();
  const requiredJson = new Set<string>();
  for (const attr of cls.attributeTypeMap) {
    const doc = fieldDocs.get(attr.name);
    if (doc) byJson.set(attr.baseName, doc);
    if (required.has(attr.name)) requiredJson.add(attr.baseName);
  }
  return {
    className,
    description,
    attributes: cls.attributeTypeMap,
    fieldDocs: byJson,
    required: requiredJson,
  };
}

// ---------------------------------------------------------------------------------------------
// Translating client types to schemas.

const definitions: Record<string, Schema> = {};
const pending: string[] = [];
const seen = new Set<string>();

function refTo(className: string): Schema {
  if (!seen.has(className)) {
    seen.add(className);
    pending.push(className);
  }
  return { $ref: `#/definitions/${canonicalName(className)}` };
}

function typeSchema(type: string, format: string, owner: string, field: string): Schema {
  const key = `${owner}.${field}`;
  if (QUANTITY_FIELDS.has(key)) return { $ref: `#/definitions/${QUANTITY}` };
  if (QUANTITY_MAP_FIELDS.has(key)) {
    return { type: 'object', additionalProperties: { $ref: `#/definitions/${QUANTITY}` } };
  }
  if (type === 'any' && ANY_FIELDS[key]) return { $ref: `#/definitions/${ANY_FIELDS[key]}` };
  return translate(type, format);
}

function translate(type: string, format: string): Schema {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { type: 'array', items: translate(array[1]!, format) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: translate(map[1]!, format) };
  switch (type) {
    case 'string':
      return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      if (format === 'int32' || format === 'int64') return { type: 'integer', format };
      return format ? { type: 'number', format } : { type: 'number' };
    case 'Date':
      return { $ref: `#/definitions/${META}.${format === 'date-time-micro' ? 'MicroTime' : 'Time'}` };
    case 'V1MicroTime':
      return { $ref: `#/definitions/${META}.MicroTime` };
    case 'IntOrString':
      return { $ref: `#/definitions/${INT_OR_STRING}` };
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default:
      if (/^[A-Z][A-Za-z0-9]+$/.test(type)) return refTo(type);
      throw new Error(`unhandled client type ${type}`);
  }
}

function shortName(className: string): string {
  return canonicalName(className).split('.').pop()!;
}

function fallbackDoc(owner: Model, field: string, schema: Schema): string | undefined {
  const own = owner.fieldDocs.get(field);
  if (own) return own;
  const short = shortName(owner.className);
  const what = short.replace(/List$/, '');
  if (field === 'metadata') return short.endsWith('List') ? LIST_META_DOC : OBJECT_META_DOC;
  if (field === 'spec' && GVK_BY_CLASS.has(owner.className)) return SPEC_DOC(what);
  if (field === 'status' && GVK_BY_CLASS.has(owner.className)) return STATUS_DOC(what);
  // Otherwise describe the field by the type it holds, which is better than nothing in `kubectl explain`.
  const ref = (schema.$ref ?? (schema.items as Schema | undefined)?.$ref) as string | undefined;
  if (ref) return REF_DOCS.get(ref.slice('#/definitions/'.length));
  return undefined;
}

const REF_DOCS = new Map<string, string>();
const GVK_BY_CLASS = new Map<string, Array<{ group: string; version: string; kind: string }>>();

function applyListMeta(schema: Schema, meta: ListMeta): void {
  if (meta.strategy) schema['x-kubernetes-patch-strategy'] = meta.strategy;
  if (meta.key) schema['x-kubernetes-patch-merge-key'] = meta.key;
  if (meta.listType) schema['x-kubernetes-list-type'] = meta.listType;
  if (meta.listType === 'map' && meta.mapKeys) schema['x-kubernetes-list-map-keys'] = meta.mapKeys;
}

function buildDefinition(model: Model): Schema {
  const short = shortName(model.className);
  const properties: Record<string, Schema> = {};
  const fieldsByJson = [...model.attributes].sort((a, b) => a.baseName.localeCompare(b.baseName));
  for (const attr of fieldsByJson) {
    const schema = typeSchema(attr.type, attr.format, short, attr.baseName);
    const prop: Schema = { ...schema };
    const meta = PATCH_META[`${short}.${attr.baseName}`];
    if (meta) applyListMeta(prop, meta);
    properties[attr.baseName] = prop;
  }
  const def: Schema = { type: 'object', properties };
  if (model.description) def.description = model.description;
  const required = model.attributes.map((a) => a.baseName).filter((n) => model.required.has(n));
  if (required.length) def.required = required.sort();
  const gvks = GVK_BY_CLASS.get(model.className);
  if (gvks) def['x-kubernetes-group-version-kind'] = gvks;
  return def;
}

// Type docs for special types, after k8s.io/apimachinery.
const SPECIAL: Record<string, Schema> = {
  [QUANTITY]: {
    type: 'string',
    'x-kubernetes-int-or-string': true,
    description:
      'Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\nThe serialization format is:\n\n``` <quantity>        ::= <signedNumber><suffix>\n\n\t(Note that <suffix> may be empty, from the "" case in <decimalSI>.)\n\n<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | <digit><digits> <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> <sign>            ::= "+" | "-" <signedNumber>    ::= <number> | <sign><number> <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n<decimalSI>       ::= m | "" | k | M | G | T | P | E\n\n\t(Note that 1024 = 1Ki but 1000 = 1k; I didn\'t choose the capitalization.)\n\n<decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber> ```\n\nNo matter which of the three exponent forms is used, no quantity may represent a number greater than 2^63-1 in magnitude, nor may it have more than 3 decimal places. Numbers larger or more precise will be capped or rounded up. (E.g.: 0.1m will rounded up to 1m.) This may be extended in the future if we require larger or smaller quantities.\n\nWhen a Quantity is parsed from a string, it will remember the type of suffix it had, and will use the same type again when it is serialized.',
  },
  [INT_OR_STRING]: {
    type: 'string',
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
    description:
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
  },
  [`${META}.Time`]: {
    type: 'string',
    format: 'date-time',
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
  },
  [`${META}.MicroTime`]: {
    type: 'string',
    format: 'date-time',
    description: 'MicroTime is version of Time with microsecond level precision.',
  },
  [`${META}.FieldsV1`]: {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description:
      "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
  },
  [`${META}.Patch`]: {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  },
  [RAW_EXTENSION]: {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description:
      'RawExtension is used to hold extensions in external versions. In a watch event it holds the object that changed, or a Status for an error.',
  },
};

// ---------------------------------------------------------------------------------------------
// Flotilla's own kinds (group flotilla.dev), written by hand like a CRD's schema. Names follow the
// reverse-domain convention of the Kubernetes definitions: dev.flotilla.v1.Machine.
const FLOTILLA_GROUPS = new Set(['flotilla.dev']);
const FLOTILLA = 'dev.flotilla.v1';
const API_VERSION_DOC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DOC =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

function flotillaDefinitions(): Record<string, Schema> {
  const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
  const s = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
  const int = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
  const gvk = (kind: string) => [{ group: 'flotilla.dev', version: 'v1', kind }];
  const mapList = (key: string): Schema => ({
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': [key],
    'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-patch-merge-key': key,
  });
  const fingerprint = (what: string) =>
    s(`${what} as OpenSSH prints it: "SHA256:" followed by 43 base64 characters (ssh-keygen -l -E sha256).`);
  const secretRef = (what: string): Schema => ({
    ...ref(`${FLOTILLA}.SecretReference`),
    description: `A Secret holding ${what}.`,
  });
  return {
    [`${FLOTILLA}.Machine`]: {
      type: 'object',
      description:
        'Machine is a computer the cluster runs pods on, and how to reach it: the local Docker engine, or a host reached over SSH. The enrollment controller connects, verifies the host key, runs preflight checks, pushes and starts the agent and waits for its Node to be Ready, reporting each step in status.',
      properties: {
        apiVersion: s(API_VERSION_DOC),
        kind: s(KIND_DOC),
        metadata: { ...ref(`${META}.ObjectMeta`), description: OBJECT_META_DOC },
        spec: { ...ref(`${FLOTILLA}.MachineSpec`), description: SPEC_DOC('Machine') },
        status: { ...ref(`${FLOTILLA}.MachineStatus`), description: STATUS_DOC('Machine') },
      },
      required: ['spec'],
      'x-kubernetes-group-version-kind': gvk('Machine'),
    },
    [`${FLOTILLA}.MachineList`]: {
      type: 'object',
      description: 'MachineList is a list of Machines.',
      properties: {
        apiVersion: s(API_VERSION_DOC),
        kind: s(KIND_DOC),
        metadata: { ...ref(`${META}.ListMeta`), description: LIST_META_DOC },
        items: {
          type: 'array',
          items: ref(`${FLOTILLA}.Machine`),
          description: 'Items is the list of Machines.',
        },
      },
      required: ['items'],
      'x-kubernetes-group-version-kind': gvk('MachineList'),
    },
    [`${FLOTILLA}.MachineSpec`]: {
      type: 'object',
      description: 'MachineSpec says how to reach a machine and what its Node gets.',
      properties: {
        type: s(
          'How the machine is reached.\n\nPossible enum values:\n - `"docker"` the local (or a remote) Docker engine\n - `"ssh"` a host reached over SSH',
          {
            enum: ['docker', 'ssh'],
          },
        ),
        docker: {
          ...ref(`${FLOTILLA}.MachineDockerSpec`),
          description: 'Docker engine settings (type docker).',
        },
        ssh: { ...ref(`${FLOTILLA}.MachineSSHSpec`), description: 'SSH settings (type ssh).' },
        nodeName: s("The name of the Node the machine runs as. Defaults to the Machine's name."),
        labels: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Labels the Node gets when it registers.',
        },
        taints: {
          type: 'array',
          items: ref('io.k8s.api.core.v1.Taint'),
          description: 'Taints the Node gets when it registers.',
          'x-kubernetes-list-type': 'atomic',
        },
      },
      required: ['type'],
    },
    [`${FLOTILLA}.MachineDockerSpec`]: {
      type: 'object',
      description: 'MachineDockerSpec selects a Docker engine.',
      properties: {
        host: s('The engine: unix:///var/run/docker.sock or tcp://HOST:PORT. Empty: the local engine.'),
      },
    },
    [`${FLOTILLA}.MachineSSHSpec`]: {
      type: 'object',
      description: 'MachineSSHSpec says how to reach a host over SSH.',
      properties: {
        address: s('Host name or IP address of the machine.'),
        port: int('SSH port. Defaults to 22.'),
        user: s('The user to log in as. Defaults to root; another user needs Docker access or sudo.'),
        privateKeySecretRef: secretRef('the private key (key "ssh-privatekey" unless set)'),
        passwordSecretRef: secretRef('the password (key "password" unless set)'),
        jump: {
          ...ref(`${FLOTILLA}.MachineJumpHost`),
          description: 'Reach the machine through this host (like ssh -J).',
        },
        sudo: { type: 'boolean', description: 'Run privileged commands through sudo -n.' },
        hostKeyFingerprint: fingerprint(
          'The host key the user accepted. A host presenting another key is refused. Empty on first contact: status.observedHostKeyFingerprint shows what the host presented, for the user to accept',
        ),
      },
      required: ['address'],
    },
    [`${FLOTILLA}.MachineJumpHost`]: {
      type: 'object',
      description: 'MachineJumpHost is an SSH host the connection goes through.',
      properties: {
        address: s('Host name or IP address of the jump host.'),
        port: int('SSH port. Defaults to 22.'),
        user: s("The user to log in as. Defaults to the machine's user."),
        hostKeyFingerprint: fingerprint("The jump host's accepted host key"),
      },
      required: ['address'],
    },
    [`${FLOTILLA}.SecretReference`]: {
      type: 'object',
      description: 'SecretReference names a key of a Secret.',
      properties: {
        name: s('Name of the Secret.'),
        namespace: s('Namespace of the Secret.'),
        key: s("The key in the Secret's data."),
      },
      required: ['name', 'namespace'],
      'x-kubernetes-map-type': 'atomic',
    },
    [`${FLOTILLA}.MachineStatus`]: {
      type: 'object',
      description: "MachineStatus is the progress and state of a machine's enrollment.",
      properties: {
        phase: s(
          'Where the machine is in its life.\n\nPossible enum values:\n - `"Pending"`\n - `"Connecting"`\n - `"Enrolling"`\n - `"Ready"`\n - `"Failed"`\n - `"Removing"`',
          {
            enum: ['Pending', 'Connecting', 'Enrolling', 'Ready', 'Failed', 'Removing'],
          },
        ),
        conditions: {
          type: 'array',
          items: ref(`${FLOTILLA}.MachineCondition`),
          description: 'Conditions of the machine (Ready, HostKeyAccepted, PreflightPassed...).',
          ...mapList('type'),
        },
        nodeName: s('The Node the machine runs as.'),
        observedHostKeyFingerprint: fingerprint('The host key the machine presented at the last contact'),
        observedJumpHostKeyFingerprint: fingerprint(
          'The host key the jump host (spec.ssh.jump) presented at the last contact',
        ),
        reachability: s(
          'How the agent reaches the API server.\n\nPossible enum values:\n - `"direct"`\n - `"tunnel"` through an SSH remote forward the control plane holds (its agent uses https://127.0.0.1:PORT; the TunnelUp condition says whether it is up)',
          {
            enum: ['direct', 'tunnel'],
          },
        ),
        steps: {
          type: 'array',
          items: ref(`${FLOTILLA}.MachineStep`),
          description: 'The enrollment steps in order, with their state and timings.',
          ...mapList('name'),
        },
        observedGeneration: {
          type: 'integer',
          format: 'int64',
          description: 'The spec generation the status describes.',
        },
      },
    },
    [`${FLOTILLA}.MachineStep`]: {
      type: 'object',
      description: 'MachineStep is one step of an enrollment.',
      properties: {
        name: s('The step.', {
          enum: ['connect', 'verify-host-key', 'preflight', 'push-agent', 'start-agent', 'wait-ready'],
        }),
        state: s("The step's state.", { enum: ['pending', 'running', 'done', 'failed', 'skipped'] }),
        message: s('What happened, or why it failed.'),
        startedAt: { ...ref(`${META}.Time`), description: 'When the step started.' },
        finishedAt: { ...ref(`${META}.Time`), description: 'When the step finished.' },
      },
      required: ['name', 'state'],
    },
    [`${FLOTILLA}.MachineCondition`]: {
      type: 'object',
      description: 'MachineCondition is an observation about a machine.',
      properties: {
        type: s('Type of the condition.'),
        status: s('Status of the condition: True, False or Unknown.'),
        reason: s('A machine-readable reason for the last transition.'),
        message: s('A human-readable message about the last transition.'),
        lastTransitionTime: { ...ref(`${META}.Time`), description: 'When the condition last changed.' },
        observedGeneration: {
          type: 'integer',
          format: 'int64',
          description: 'The generation the condition describes.',
        },
      },
      required: ['type', 'status'],
    },
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Schema)[key]);
    return out;
  }
  return value;
}

/** Builds the definitions (sorted, as written to definitions.json). */
export async function generateDefinitions(): Promise<Record<string, Schema>> {
  // Roots: every served kind and its list, then the meta kinds.
  const roots: string[] = [];
  const addGvk = (className: string, gvk: { group: string; version: string; kind: string }) => {
    const list = GVK_BY_CLASS.get(className) ?? [];
    list.push(gvk);
    GVK_BY_CLASS.set(className, list);
  };
  for (const r of RESOURCES) {
    // Flotilla's own kinds have no client model: their definitions are written below.
    if (FLOTILLA_GROUPS.has(r.group)) continue;
    for (const kind of [r.kind, r.listKind]) {
      const cls = classForKind(r.group, kind);
      roots.push(cls);
      addGvk(cls, { group: r.group, version: r.version, kind });
    }
  }
  const groupVersions = [...new Set(RESOURCES.map((r) => `${r.group}/${r.version}`))].sort();
  for (const gv of groupVersions) {
    const [group, version] = gv.split('/') as [string, string];
    addGvk('V1DeleteOptions', { group, version, kind: 'DeleteOptions' });
    addGvk('V1WatchEvent', { group, version, kind: 'WatchEvent' });
  }
  addGvk('V1Status', { group: '', version: 'v1', kind: 'Status' });
  addGvk('V1Scale', { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  // Bodies of the pods/binding and pods/eviction subresources.
  addGvk('V1Binding', { group: '', version: 'v1', kind: 'Binding' });
  addGvk('V1Eviction', { group: 'policy', version: 'v1', kind: 'Eviction' });
  addGvk('V1APIVersions', { group: '', version: 'v1', kind: 'APIVersions' });
  addGvk('V1APIGroupList', { group: '', version: 'v1', kind: 'APIGroupList' });
  addGvk('V1APIGroup', { group: '', version: 'v1', kind: 'APIGroup' });
  addGvk('V1APIResourceList', { group: '', version: 'v1', kind: 'APIResourceList' });
  roots.push(
    'V1DeleteOptions',
    'V1WatchEvent',
    'V1Status',
    'V1Scale',
    'V1APIResourceList',
    'V1APIVersions',
    'V1APIGroupList',
    'V1Binding',
    'V1Eviction',
  );

  for (const root of roots) refTo(root);
  // Building a definition enqueues the classes it references, so this walks the closure.
  const built: Array<{ model: Model; def: Schema }> = [];
  while (pending.length) {
    const model = await readModel(pending.shift()!);
    const name = canonicalName(model.className);
    if (definitions[name]) throw new Error(`two client classes map to ${name}`);
    const def = buildDefinition(model);
    definitions[name] = def;
    built.push({ model, def });
    if (model.description) REF_DOCS.set(name, model.description);
  }
  for (const [name, schema] of Object.entries(SPECIAL)) REF_DOCS.set(name, schema.description as string);
  for (const { model, def } of built) {
    for (const [field, prop] of Object.entries(def.properties as Record<string, Schema>)) {
      const doc = fallbackDoc(model, field, prop);
      if (doc) prop.description = doc;
    }
  }
  for (const [name, schema] of Object.entries(SPECIAL)) definitions[name] = schema;
  for (const [name, schema] of Object.entries(flotillaDefinitions())) definitions[name] = schema;

  // Every $ref must resolve, and every patch-metadata entry must have matched a real field, so a
  // client upgrade that renames something fails here instead of silently dropping metadata.
  const json = JSON.stringify(definitions);
  for (const m of json.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) {
    if (!definitions[m[1]!]) throw new Error(`dangling $ref ${m[1]}`);
  }
  const fieldKeys = new Set<string>();
  for (const [name, def] of Object.entries(definitions)) {
    for (const field of Object.keys((def.properties as Schema | undefined) ?? {})) {
      fieldKeys.add(`${name.split('.').pop()}.${field}`);
    }
  }
  const tables = [
    ...Object.keys(PATCH_META),
    ...QUANTITY_FIELDS,
    ...[...QUANTITY_MAP_FIELDS].filter((k) => !k.startsWith('PersistentVolumeClaimStatus.')),
    ...Object.keys(ANY_FIELDS),
  ];
  const unmatched = tables.filter((k) => !fieldKeys.has(k));
  if (unmatched.length) throw new Error(`hand tables name fields that do not exist: ${unmatched.join(', ')}`);

  return sortKeys(definitions) as Record<string, Schema>;
}

async function main(): Promise<void> {
  const defs = await generateDefinitions();
  mkdirSync(dirname(outFile), { recursive: true });
  // Formatted as the repository's Prettier config would, so `prettier --check .` stays clean.
  const options = (await prettier.resolveConfig(outFile)) ?? {};
  writeFileSync(outFile, await prettier.format(JSON.stringify(defs), { ...options, filepath: outFile }));
  console.log(`wrote ${Object.keys(defs).length} definitions to ${outFile}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

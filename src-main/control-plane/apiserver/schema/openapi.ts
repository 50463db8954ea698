// The OpenAPI documents the API server serves, built once from the definitions and cached:
//   GET /openapi/v2                     Swagger 2.0, every definition and path
//   GET /openapi/v3                     index: { paths: { "api/v1": { serverRelativeURL } … } }
//   GET /openapi/v3/<group-version>     OpenAPI 3.0 for one group version (`api/v1`, `apis/apps/v1`)
//
// kubectl reads the v3 documents: `explain` finds a kind's GVK on the paths' operations and then
// the schema in components.schemas whose x-kubernetes-group-version-kind contains it; `apply`
// reads patch strategies and merge keys from the same schemas; and create/apply/patch only send
// fieldValidation (server-side validation) when the kind's PATCH operation lists that parameter.
import { createHash } from 'node:crypto';
import { RESOURCES, type ResourceInfo } from '../../../shared/resources';
import {
  DEFINITION_REF_PREFIX,
  allDefinitions,
  definitionNameForKind,
  reachableDefinitions,
  refName,
  type Schema,
} from './definitions';

/** The Kubernetes version the documents describe (their `info.version`). */
export const OPENAPI_VERSION = 'v1.32.0';
const V3_REF_PREFIX = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export interface SerializedDocument {
  /** The document as sent: JSON, no indentation. */
  json: string;
  /** Uppercase hex SHA-512 of `json`, as Kubernetes uses in `?hash=` and ETag. */
  hash: string;
}

type Json = Record<string, unknown>;

function serialize(doc: object): SerializedDocument {
  const json = JSON.stringify(doc);
  return { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
}

// ---------------------------------------------------------------------------------------------
// Paths. One description per resource; v2 and v3 differ only in how parameters and bodies carry
// their schema.

interface Param {
  name: string;
  in: 'path' | 'query';
  description: string;
  type: 'string' | 'integer' | 'boolean';
  required?: boolean;
}

const p = (name: string, type: Param['type'], description: string): Param => ({
  name,
  in: 'query',
  type,
  description,
});

const PRETTY = p('pretty', 'string', "If 'true', then the output is pretty printed.");
const DRY_RUN = p(
  'dryRun',
  'string',
  'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
);
const FIELD_MANAGER = p(
  'fieldManager',
  'string',
  'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
);
const FIELD_VALIDATION = p(
  'fieldValidation',
  'string',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
);
const FORCE = p(
  'force',
  'boolean',
  'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
);
const LIST_PARAMS: Param[] = [
  p('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  p('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  p(
    'fieldSelector',
    'string',
    'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  ),
  p(
    'labelSelector',
    'string',
    'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  ),
  p('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  p(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  p(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  ),
  p('sendInitialEvents', 'boolean', 'sendInitialEvents=true may be set together with watch=true.'),
  p('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  p(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
  ),
];
const DELETE_PARAMS: Param[] = [
  DRY_RUN,
  p('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
  p(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
  ),
];
const NAME: Param = {
  name: 'name',
  in: 'path',
  type: 'string',
  required: true,
  description: 'name of the resource',
};
const NAMESPACE: Param = {
  name: 'namespace',
  in: 'path',
  type: 'string',
  required: true,
  description: 'object name and auth scope, such as for teams and projects',
};

/** The patch media types the server accepts. */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: Action;
  operationId: string;
  description: string;
  params: Param[];
  /** Definition of the request body (PATCH bodies use meta.v1.Patch). */
  body?: string;
  /** Definition of the 200 response. */
  response: string;
  /** Extra success codes with the same body. */
  alsoOk?: number[];
  gvk: { group: string; version: string; kind: string };
}

interface PathItem {
  path: string;
  params: Param[];
  operations: Operation[];
}

function operationPrefix(r: ResourceInfo): string {
  const group = r.group ? r.group.split('.')[0]!.replace(/^./, (c) => c.toUpperCase()) : 'Core';
  const version = r.version.replace(/^./, (c) => c.toUpperCase());
  return `${group}${version}`;
}

function resourcePaths(r: ResourceInfo): PathItem[] {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const kindDef = definitionNameForKind(r.group, r.version, r.kind)!;
  const listDef = definitionNameForKind(r.group, r.version, r.listKind)!;
  const ns = r.namespaced ? 'Namespaced' : '';
  const id = operationPrefix(r);
  const scoped = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const scopeParams = r.namespaced ? [NAMESPACE, PRETTY] : [PRETTY];
  const write = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const items: PathItem[] = [];

  items.push({
    path: scoped,
    params: scopeParams,
    operations: [
      {
        method: 'get',
        action: 'list',
        operationId: `list${id}${ns}${r.kind}`,
        description: `list or watch objects of kind ${r.kind}`,
        params: LIST_PARAMS,
        response: listDef,
        gvk,
      },
      {
        method: 'post',
        action: 'post',
        operationId: `create${id}${ns}${r.kind}`,
        description: `create a ${r.kind}`,
        params: write,
        body: kindDef,
        response: kindDef,
        alsoOk: [201, 202],
        gvk,
      },
      {
        method: 'delete',
        action: 'deletecollection',
        operationId: `deletecollection${id}${ns}${r.kind}`,
        description: `delete collection of ${r.kind}`,
        params: [
          ...LIST_PARAMS.filter((x) => x.name !== 'watch' && x.name !== 'allowWatchBookmarks'),
          ...DELETE_PARAMS,
        ],
        body: `${META}.DeleteOptions`,
        response: `${META}.Status`,
        gvk,
      },
    ],
  });
  if (r.namespaced) {
    items.push({
      path: `${base}/${r.plural}`,
      params: [PRETTY],
      operations: [
        {
          method: 'get',
          action: 'list',
          operationId: `list${id}${r.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${r.kind}`,
          params: LIST_PARAMS,
          response: listDef,
          gvk,
        },
      ],
    });
  }

  const itemOps = (
    suffix: string,
    what: string,
    def: string,
    opGvk: Operation['gvk'],
    withDelete: boolean,
  ) => {
    const name = `${id}${ns}${r.kind}${what}`;
    const ops: Operation[] = [
      {
        method: 'get',
        action: 'get',
        operationId: `read${name}`,
        description: `read the specified ${r.kind}`,
        params: [],
        response: def,
        gvk: opGvk,
      },
      {
        method: 'put',
        action: 'put',
        operationId: `replace${name}`,
        description: `replace the specified ${r.kind}`,
        params: write,
        body: def,
        response: def,
        alsoOk: [201],
        gvk: opGvk,
      },
      {
        method: 'patch',
        action: 'patch',
        operationId: `patch${name}`,
        description: `partially update the specified ${r.kind}`,
        params: [...write, FORCE],
        body: `${META}.Patch`,
        response: def,
        alsoOk: [201],
        gvk: opGvk,
      },
    ];
    if (withDelete) {
      ops.push({
        method: 'delete',
        action: 'delete',
        operationId: `delete${name}`,
        description: `delete a ${r.kind}`,
        params: DELETE_PARAMS,
        body: `${META}.DeleteOptions`,
        response: kindDef,
        alsoOk: [202],
        gvk: opGvk,
      });
    }
    items.push({ path: `${scoped}/{name}${suffix}`, params: [NAME, ...scopeParams], operations: ops });
  };
  itemOps('', '', kindDef, gvk, true);
  if (r.subresources?.includes('status')) itemOps('/status', 'Status', kindDef, gvk, false);
  if (r.subresources?.includes('scale')) {
    itemOps(
      '/scale',
      'Scale',
      'io.k8s.api.autoscaling.v1.Scale',
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      false,
    );
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Group versions.

interface GroupVersion {
  /** `api/v1`, `apis/apps/v1` */
  key: string;
  group: string;
  version: string;
  resources: ResourceInfo[];
}

function groupVersions(): GroupVersion[] {
  const byKey = new Map<string, GroupVersion>();
  for (const r of RESOURCES) {
    const key = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
    const gv = byKey.get(key) ?? { key, group: r.group, version: r.version, resources: [] };
    gv.resources.push(r);
    byKey.set(key, gv);
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

function rootsOf(gv: GroupVersion): string[] {
  const roots = [
    `${META}.Status`,
    `${META}.DeleteOptions`,
    `${META}.WatchEvent`,
    `${META}.Patch`,
    `${META}.APIResourceList`,
  ];
  for (const r of gv.resources) {
    roots.push(
      definitionNameForKind(r.group, r.version, r.kind)!,
      definitionNameForKind(r.group, r.version, r.listKind)!,
    );
    if (r.subresources?.includes('scale')) roots.push('io.k8s.api.autoscaling.v1.Scale');
  }
  return roots;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI v3 rendering.

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** A definition as Kubernetes publishes it in v3: refs into components, refs with siblings under allOf. */
function toV3Schema(name: string, schema: Schema): Json {
  if (name === INT_OR_STRING) {
    return {
      description: schema.description,
      format: 'int-or-string',
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    };
  }
  if (name === QUANTITY) {
    return { description: schema.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
  }
  return convertV3(schema, true);
}

function convertV3(schema: Schema, top: boolean): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref') continue;
    if (key === 'properties') {
      const props: Json = {};
      for (const [field, prop] of Object.entries(value as Record<string, Schema>))
        props[field] = convertV3(prop, false);
      out.properties = props;
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = convertV3(value as Schema, false);
    } else {
      out[key] = value;
    }
  }
  if (schema.$ref) {
    const target = refName(schema.$ref);
    const ref = V3_REF_PREFIX + target;
    // A field that references a type wraps the reference in allOf, as Kubernetes does, so its own
    // description sits legally beside it; `kubectl explain` then prints both. Where the field has no
    // doc of its own (the generator fell back to the type's), a plain sibling avoids printing it twice.
    const ownDoc = out.description !== allDefinitions()[target]?.description;
    if (Object.keys(out).length === 0 || top || !ownDoc) out.$ref = ref;
    else out.allOf = [{ $ref: ref }];
  }
  return out;
}

function v3Parameter(param: Param): Json {
  return {
    name: param.name,
    in: param.in,
    description: param.description,
    ...(param.required ? { required: true } : {}),
    schema: { type: param.type, uniqueItems: true },
  };
}

function v3Content(def: string, types: string[]): Json {
  const content: Json = {};
  for (const type of types) content[type] = { schema: { $ref: V3_REF_PREFIX + def } };
  return content;
}

function v3Paths(items: PathItem[]): Json {
  const paths: Json = {};
  for (const item of items) {
    const pathItem: Json = { parameters: item.params.map(v3Parameter) };
    for (const op of item.operations) {
      const ok: Json = {
        description: 'OK',
        content: v3Content(op.response, ['application/json', 'application/yaml']),
      };
      const responses: Json = { '200': ok };
      for (const code of op.alsoOk ?? []) {
        responses[String(code)] = { ...ok, description: code === 201 ? 'Created' : 'Accepted' };
      }
      responses['401'] = { description: 'Unauthorized' };
      const operation: Json = {
        tags: [op.gvk.group ? `${op.gvk.group.split('.')[0]}_${op.gvk.version}` : `core_${op.gvk.version}`],
        description: op.description,
        operationId: op.operationId,
        parameters: op.params.map(v3Parameter),
        responses,
        'x-kubernetes-action': op.action,
        'x-kubernetes-group-version-kind': op.gvk,
      };
      if (op.body) {
        const types = op.method === 'patch' ? PATCH_CONTENT_TYPES : ['application/json', 'application/yaml'];
        operation.requestBody = { content: v3Content(op.body, types), required: op.method !== 'delete' };
      }
      pathItem[op.method] = operation;
    }
    paths[item.path] = pathItem;
  }
  return paths;
}

function v3Document(paths: Json, schemaNames: string[]): Json {
  const defs = allDefinitions();
  const schemas: Json = {};
  for (const name of schemaNames) schemas[name] = toV3Schema(name, defs[name]!);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: OPENAPI_VERSION },
    paths,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function discoveryDocument(path: string, operationId: string, def: string): Json {
  const paths = {
    [path]: {
      get: {
        tags: [operationId.replace(/^get|APIVersions$|APIGroup$/g, '').toLowerCase() || 'core'],
        description: 'get available resources',
        operationId,
        responses: {
          '200': { description: 'OK', content: v3Content(def, ['application/json', 'application/yaml']) },
          '401': { description: 'Unauthorized' },
        },
      },
    },
  };
  return v3Document(paths, reachableDefinitions([def]));
}

// ---------------------------------------------------------------------------------------------
// The cache: everything is built on first use and never changes while the process runs.

interface Documents {
  v2: { doc: Json; serialized: SerializedDocument };
  v3: Map<string, { doc: Json; serialized: SerializedDocument }>;
  v3Index: Json;
}

let cache: Documents | undefined;

function build(): Documents {
  const gvs = groupVersions();
  const v3 = new Map<string, { doc: Json; serialized: SerializedDocument }>();
  const put = (key: string, doc: Json) => v3.set(key, { doc, serialized: serialize(doc) });

  const allItems: PathItem[] = [];
  for (const gv of gvs) {
    const items = gv.resources.flatMap(resourcePaths);
    allItems.push(...items);
    put(gv.key, v3Document(v3Paths(items), reachableDefinitions(rootsOf(gv))));
  }
  put('api', discoveryDocument('/api/', 'getCoreAPIVersions', `${META}.APIVersions`));
  put('apis', discoveryDocument('/apis/', 'getAPIVersions', `${META}.APIGroupList`));
  for (const group of [...new Set(gvs.map((gv) => gv.group).filter(Boolean))].sort()) {
    const name = group.split('.')[0]!.replace(/^./, (c) => c.toUpperCase());
    put(`apis/${group}`, discoveryDocument(`/apis/${group}/`, `get${name}APIGroup`, `${META}.APIGroup`));
  }

  const index: Json = {};
  for (const key of [...v3.keys()].sort()) {
    index[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${v3.get(key)!.serialized.hash}` };
  }
  const v2doc = v2Document(allItems);
  return { v2: { doc: v2doc, serialized: serialize(v2doc) }, v3, v3Index: { paths: index } };
}

function documents(): Documents {
  cache ??= build();
  return cache;
}

// ---------------------------------------------------------------------------------------------
// Swagger 2.0.

function v2Paths(items: PathItem[]): Json {
  const paths: Json = {};
  const param = (x: Param): Json => ({
    name: x.name,
    in: x.in,
    description: x.description,
    type: x.type,
    uniqueItems: true,
    ...(x.required ? { required: true } : {}),
  });
  for (const item of items) {
    const pathItem: Json = { parameters: item.params.map(param) };
    for (const op of item.operations) {
      const ok = { description: 'OK', schema: { $ref: DEFINITION_REF_PREFIX + op.response } };
      const responses: Json = { '200': ok };
      for (const code of op.alsoOk ?? [])
        responses[String(code)] = { ...ok, description: code === 201 ? 'Created' : 'Accepted' };
      responses['401'] = { description: 'Unauthorized' };
      const parameters = op.params.map(param);
      if (op.body) {
        parameters.unshift({
          name: 'body',
          in: 'body',
          required: op.method !== 'delete',
          schema: { $ref: DEFINITION_REF_PREFIX + op.body },
        });
      }
      pathItem[op.method] = {
        description: op.description,
        consumes: op.method === 'patch' ? PATCH_CONTENT_TYPES : ['*/*'],
        produces: ['application/json', 'application/yaml'],
        schemes: ['https'],
        operationId: op.operationId,
        parameters,
        responses,
        'x-kubernetes-action': op.action,
        'x-kubernetes-group-version-kind': op.gvk,
      };
    }
    paths[item.path] = pathItem;
  }
  return paths;
}

function v2Document(items: PathItem[]): Json {
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: OPENAPI_VERSION },
    paths: v2Paths(items),
    definitions: allDefinitions(),
    securityDefinitions: {
      BearerToken: {
        type: 'apiKey',
        description: 'Bearer Token authentication',
        name: 'authorization',
        in: 'header',
      },
    },
    security: [{ BearerToken: [] }],
  };
}

// ---------------------------------------------------------------------------------------------
// Public API.

/** The Swagger 2.0 document for `GET /openapi/v2` (JSON). */
export function openApiV2(): object {
  return documents().v2.doc;
}

export function openApiV2Serialized(): SerializedDocument {
  return documents().v2.serialized;
}

/** `GET /openapi/v3`: `{ paths: { "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=…" }, … } }`. */
export function openApiV3Index(): object {
  return documents().v3Index;
}

/** The OpenAPI 3.0 document of `api/v1`, `apis/apps/v1`, `api`, `apis` or `apis/<group>`; undefined otherwise. */
export function openApiV3GroupVersion(groupVersionPath: string): object | undefined {
  return documents().v3.get(normalizeKey(groupVersionPath))?.doc;
}

/** The same document serialized, with its hash (for the `?hash=` check and the ETag). */
export function openApiV3Serialized(groupVersionPath: string): SerializedDocument | undefined {
  return documents().v3.get(normalizeKey(groupVersionPath))?.serialized;
}

function normalizeKey(path: string): string {
  return path
    .replace(/^\/+/, '')
    .replace(/^openapi\/v3\//, '')
    .replace(/\/+$/, '');
}

/** The group versions with a v3 document, keyed as in the index (`api/v1`, `apis/apps/v1`). */
export function openApiV3Keys(): string[] {
  return [...documents().v3.keys()].sort();
}

/** apiVersion (`apps/v1`) → its v3 key (`apis/apps/v1`). */
export function openApiV3KeyForApiVersion(apiVersion: string): string {
  return apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`;
}

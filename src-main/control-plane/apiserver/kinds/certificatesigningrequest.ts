// CertificateSigningRequests (certificates.k8s.io/v1), after Kubernetes' pkg/registry/certificates:
// - create: the requester's identity (spec.username, uid, groups) is filled in by the server from the
//   authenticated user, never taken from the client; status starts empty.
// - the spec is immutable; main-resource updates change metadata only.
// - /approval changes only the Approved/Denied conditions; /status changes everything else (the
//   certificate, Failed) but keeps the approval conditions as stored.
// - Approved and Denied exclude each other and are never removed; a certificate is only accepted on an
//   approved request and never changes once issued.
import type { StatusCause } from '../../../shared/status';
import { KEY_USAGES } from '../../../shared/bootstrap';
import { requestUser } from '../auth/node-authorizer';
import * as x509 from '../pki/x509';
import { FieldPath, duplicate, forbidden, invalid, notSupported, required } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, humanDuration, NAME_COLUMN, since } from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { clone, deepEqualJson, list, num, rec, recList, str, type Json } from './common/util';
import type { KubeObject } from './types';

const SPEC = FieldPath.root('spec');
const STATUS = FieldPath.root('status');
const APPROVAL_TYPES = new Set(['Approved', 'Denied']);
const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
const SIGNER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9._/]*[A-Za-z0-9])?$/;

function defaults(obj: KubeObject): void {
  // v1 defaulting: a condition without a status is True.
  for (const c of recList(rec(obj.status)?.conditions)) if (!c.status) c.status = 'True';
}

function decodePem(b64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** The request's PEM parsed, or the cause explaining why it is not a CSR. */
export function parseCsrRequest(b64: unknown): { csr?: x509.Pkcs10CertificateRequest; error?: string } {
  const pem = typeof b64 === 'string' ? decodePem(b64) : undefined;
  if (!pem || !pem.includes('-----BEGIN CERTIFICATE REQUEST-----'))
    return { error: 'PEM block type must be CERTIFICATE REQUEST' };
  try {
    return { csr: new x509.Pkcs10CertificateRequest(pem) };
  } catch (err) {
    return { error: `cannot parse the certificate request: ${(err as Error).message}` };
  }
}

function validateSpec(spec: Json): StatusCause[] {
  const out: StatusCause[] = [];
  if (!str(spec.request)) out.push(required(SPEC.child('request')));
  else {
    const { error } = parseCsrRequest(spec.request);
    if (error) out.push(invalid(SPEC.child('request'), '<certificate request redacted>', error));
  }
  const signer = str(spec.signerName);
  if (!signer) out.push(required(SPEC.child('signerName')));
  else if (!SIGNER_NAME.test(signer) || signer.length > 571)
    out.push(
      invalid(
        SPEC.child('signerName'),
        signer,
        'must be a fully qualified domain and path of the form "example.com/signer-name"',
      ),
    );
  const usages = list(spec.usages);
  if (usages.length === 0) out.push(required(SPEC.child('usages')));
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    const p = SPEC.child('usages').index(i);
    if (!(KEY_USAGES as readonly unknown[]).includes(u)) out.push(notSupported(p, u, KEY_USAGES));
    else if (seen.has(u as string)) out.push(duplicate(p, u));
    seen.add(u as string);
  });
  const expiration = spec.expirationSeconds;
  if (expiration !== undefined && expiration !== null && (num(expiration) ?? 0) < 600)
    out.push(
      invalid(
        SPEC.child('expirationSeconds'),
        expiration,
        'may not specify a duration less than 600 seconds (10 minutes)',
      ),
    );
  return out;
}

function validateStatus(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const status = rec(obj.status);
  if (!status) return [];
  const out: StatusCause[] = [];
  const conditions = recList(status.conditions);
  const types = new Set<string>();
  conditions.forEach((c, i) => {
    const p = STATUS.child('conditions').index(i);
    const type = str(c.type);
    if (!type) out.push(required(p.child('type')));
    if (!CONDITION_STATUSES.includes(str(c.status)))
      out.push(notSupported(p.child('status'), c.status, CONDITION_STATUSES));
    else if (APPROVAL_TYPES.has(type) && c.status !== 'True')
      out.push(notSupported(p.child('status'), c.status, ['True']));
    if (APPROVAL_TYPES.has(type) || type === 'Failed') {
      if (types.has(type)) out.push(duplicate(p.child('type'), type));
      types.add(type);
    }
  });
  if (types.has('Approved') && types.has('Denied'))
    out.push(
      invalid(
        STATUS.child('conditions'),
        'Approved',
        'Approved and Denied conditions are mutually exclusive',
      ),
    );
  const cert = str(status.certificate);
  const oldStatus = rec(old?.status);
  if (cert) {
    if (!types.has('Approved') || types.has('Denied') || types.has('Failed'))
      out.push(
        forbidden(STATUS.child('certificate'), 'a certificate may only be set on an approved request'),
      );
    const pem = decodePem(cert);
    if (!pem || !pem.includes('-----BEGIN CERTIFICATE-----'))
      out.push(
        invalid(
          STATUS.child('certificate'),
          '<certificate data>',
          'must contain at least one CERTIFICATE PEM block',
        ),
      );
  }
  const oldCert = str(oldStatus?.certificate);
  if (oldCert && cert !== oldCert)
    out.push(forbidden(STATUS.child('certificate'), 'updates may not modify existing certificate content'));
  // Approval is final: neither Approved nor Denied may be taken back.
  for (const c of recList(oldStatus?.conditions)) {
    const type = str(c.type);
    if (APPROVAL_TYPES.has(type) && !types.has(type))
      out.push(forbidden(STATUS.child('conditions'), `updates may not remove a condition of type "${type}"`));
  }
  return out;
}

/** The stored conditions of some types followed by the incoming ones of the other types. */
function mergeConditions(
  keepFromOld: unknown,
  fromNew: unknown,
  oldTypes: (type: string) => boolean,
): Json[] {
  return [
    ...recList(fromNew).filter((c) => !oldTypes(str(c.type))),
    ...recList(keepFromOld).filter((c) => oldTypes(str(c.type))),
  ];
}

export const certificateSigningRequestStrategy: FlotillaStrategy = {
  resource: resourceOf('certificates.k8s.io', 'certificatesigningrequests'),
  defaults,
  prepareForCreate(obj) {
    delete obj.status;
    const spec = (obj.spec ??= {});
    // Who asked is what the approver decides on: only the server may say.
    const user = requestUser.getStore();
    delete spec.username;
    delete spec.uid;
    delete spec.groups;
    delete spec.extra;
    if (user) {
      spec.username = user.name;
      if (user.uid) spec.uid = user.uid;
      spec.groups = [...user.groups];
    }
  },
  prepareForUpdate(obj, old) {
    // A main-resource update changes metadata only.
    obj.spec = clone(old.spec);
    if (old.status === undefined) delete obj.status;
    else obj.status = clone(old.status);
  },
  prepareForStatusUpdate(obj, old, subresource) {
    const status = (obj.status ??= {});
    const oldStatus = rec(old.status) ?? {};
    if (subresource === 'status') {
      status.conditions = mergeConditions(oldStatus.conditions, status.conditions, (t) =>
        APPROVAL_TYPES.has(t),
      );
    } else {
      status.conditions = mergeConditions(
        oldStatus.conditions,
        status.conditions,
        (t) => !APPROVAL_TYPES.has(t),
      );
      if (oldStatus.certificate === undefined) delete status.certificate;
      else status.certificate = oldStatus.certificate;
    }
    if ((status.conditions as unknown[]).length === 0) delete status.conditions;
  },
  validateCreate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: false }),
    ...validateSpec(rec(obj.spec) ?? {}),
  ],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...(deepEqualJson(obj.spec, old.spec) ? [] : [invalid(SPEC, '<spec>', 'field is immutable')]),
    ...validateStatus(obj, old),
  ],
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('SignerName', 'string', 'Requested signer.'),
    column('Requestor', 'string', 'Name of the user who created the request.'),
    column('RequestedDuration', 'string', 'Requested duration of the issued certificate.'),
    column(
      'Condition',
      'string',
      'The approval state of the request: Pending, Approved, Denied, Failed, Issued.',
    ),
  ],
  row(obj, now) {
    const spec = rec(obj.spec) ?? {};
    const seconds = num(spec.expirationSeconds);
    return [
      obj.metadata?.name ?? '',
      since(obj.metadata?.creationTimestamp, now),
      str(spec.signerName),
      str(spec.username),
      seconds === undefined ? '<none>' : humanDuration(seconds * 1000),
      conditionSummary(obj),
    ];
  },
  fieldSelectors: {
    'spec.signerName': (o) => str(rec(o.spec)?.signerName),
  },
};

/** What kubectl prints in the Condition column: `Approved,Issued`, `Denied`, `Pending`… */
export function conditionSummary(obj: KubeObject): string {
  const status = rec(obj.status) ?? {};
  const types = recList(status.conditions).map((c) => str(c.type));
  if (str(status.certificate) && types.includes('Approved')) types.push('Issued');
  return types.length > 0 ? types.join(',') : 'Pending';
}

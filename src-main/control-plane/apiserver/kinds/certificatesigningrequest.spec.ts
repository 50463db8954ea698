import { describe, expect, it } from 'vitest';
import { createNodeKeyAndCsr } from '../../../agent/bootstrap/csr';
import { requestUser } from '../auth/node-authorizer';
import { certificateSigningRequestStrategy as s, conditionSummary } from './certificatesigningrequest';
import { ago, messages, NOW } from './testing';
import type { KubeObject } from './types';

const { csrPem } = await createNodeKeyAndCsr('n1');
const CERT = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

function csr(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'node-csr-1', creationTimestamp: ago(60_000) },
    spec: {
      request: Buffer.from(csrPem).toString('base64'),
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'client auth'],
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}
const approved = { type: 'Approved', status: 'True', reason: 'AutoApproved' };
const denied = { type: 'Denied', status: 'True', reason: 'NodeNameMismatch' };

describe('CertificateSigningRequest strategy', () => {
  it('is cluster-scoped certificates.k8s.io/v1 with short name csr and status + approval', () => {
    expect(s.resource).toMatchObject({
      group: 'certificates.k8s.io',
      kind: 'CertificateSigningRequest',
      namespaced: false,
      shortNames: ['csr'],
      subresources: ['status', 'approval'],
    });
  });

  it('fills in the requester from the authenticated user, whatever the client sent', () => {
    const obj = csr(
      { username: 'system:masters-wannabe', groups: ['system:masters'] },
      { certificate: CERT },
    );
    requestUser.run(
      { name: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'] },
      () => s.prepareForCreate!(obj),
    );
    expect(obj.spec).toMatchObject({
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:authenticated'],
    });
    expect(obj.status).toBeUndefined();
  });

  it('validates the request, signer, usages and duration', () => {
    expect(messages(s.validateCreate!(csr()))).toEqual([]);
    expect(
      messages(
        s.validateCreate!(
          csr({
            request: Buffer.from('nope').toString('base64'),
            signerName: 'kubelet',
            usages: ['flying'],
            expirationSeconds: 60,
          }),
        ),
      ),
    ).toEqual([
      'spec.request: Invalid value: "<certificate request redacted>": PEM block type must be CERTIFICATE REQUEST',
      'spec.signerName: Invalid value: "kubelet": must be a fully qualified domain and path of the form "example.com/signer-name"',
      expect.stringContaining('spec.usages[0]: Unsupported value: "flying"'),
      'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)',
    ]);
  });

  it('/approval changes only the approval conditions; /status keeps them and sets the certificate', () => {
    const old = csr({ username: 'u' });
    const viaApproval = { ...csr({ username: 'u' }), status: { conditions: [approved], certificate: CERT } };
    s.prepareForStatusUpdate!(viaApproval, old, 'approval');
    expect(viaApproval.status).toEqual({ conditions: [approved] });

    const stored = csr({ username: 'u' }, { conditions: [approved] });
    const viaStatus = { ...csr({ username: 'u' }), status: { conditions: [denied], certificate: CERT } };
    s.prepareForStatusUpdate!(viaStatus, stored, 'status');
    expect(viaStatus.status).toEqual({ conditions: [approved], certificate: CERT });
    expect(messages(s.validateUpdate!(viaStatus, stored))).toEqual([]);
  });

  it('refuses Approved with Denied, a certificate without approval, and taking approval back', () => {
    const old = csr();
    expect(messages(s.validateUpdate!(csr({}, { conditions: [approved, denied] }), old))).toEqual([
      'status.conditions: Invalid value: "Approved": Approved and Denied conditions are mutually exclusive',
    ]);
    expect(messages(s.validateUpdate!(csr({}, { certificate: CERT }), old))).toEqual([
      'status.certificate: Forbidden: a certificate may only be set on an approved request',
    ]);
    expect(messages(s.validateUpdate!(csr({}, {}), csr({}, { conditions: [approved] })))).toEqual([
      'status.conditions: Forbidden: updates may not remove a condition of type "Approved"',
    ]);
    expect(messages(s.validateUpdate!(csr({ signerName: 'example.com/other' }), old))).toEqual([
      'spec: Invalid value: "<spec>": field is immutable',
    ]);
  });

  it('prints like kubectl: signer, requestor, duration and Pending / Approved,Issued / Denied', () => {
    expect(s.columns.map((c) => c.name)).toEqual([
      'Name',
      'Age',
      'SignerName',
      'Requestor',
      'RequestedDuration',
      'Condition',
    ]);
    expect(s.row(csr({ username: 'system:bootstrap:abcdef', expirationSeconds: 3600 }), NOW)).toEqual([
      'node-csr-1',
      '60s',
      'kubernetes.io/kube-apiserver-client-kubelet',
      'system:bootstrap:abcdef',
      '60m',
      'Pending',
    ]);
    expect(conditionSummary(csr({}, { conditions: [approved], certificate: CERT }))).toBe('Approved,Issued');
    expect(conditionSummary(csr({}, { conditions: [denied] }))).toBe('Denied');
  });
});

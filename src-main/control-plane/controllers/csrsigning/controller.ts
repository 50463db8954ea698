// Node client certificates (kube-controller-manager's csrapproving + csrsigning controllers in one,
// for the signer kubernetes.io/kube-apiserver-client-kubelet). For each CertificateSigningRequest:
//   1. pending and requested with a bootstrap token: approve it when the token (still there, not
//      expired) is bound to exactly the node the request names, otherwise deny it with the reason
//      (review.ts). Requests from anyone else wait for a person (`kubectl certificate approve`).
//   2. approved and not yet issued: check it is a well-formed node client request, sign its public
//      key with the cluster CA and write status.certificate (or mark it Failed with the reason).
//   3. issued to a bootstrap token: delete the token's Secret: a token buys one certificate.
// Every step is derived from the stored object, so a restart between steps picks up where it stopped;
// each outcome is an Event on the request.
import type { CertificateSigningRequest, CsrCondition } from '../../../shared/bootstrap';
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  bootstrapTokenSecretName,
  csrCondition,
  KUBELET_CLIENT_SIGNER,
  tokenIdOfUser,
} from '../../../shared/bootstrap';
import type { KubeObjectLike } from '../../../shared/kube/types';
import { isKubeApiError } from '../../../shared/kube/types';
import { resourceFor } from '../../../shared/resources';
import type { BootstrapTokenSecret } from '../../apiserver/auth/bootstrap-tokens';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { checkNodeClientRequest, reviewBootstrapRequest } from './review';
import type { CertificateSigner } from './signer';

export const CSR_SIGNING_CONTROLLER = 'csr-signing-controller';
export const CSRS = resourceFor('certificates.k8s.io', 'certificatesigningrequests');
const SECRETS = resourceFor('', 'secrets');

export interface CsrSigningOptions {
  /** Signs approved requests; without one, requests are approved or denied but not issued. */
  signer?: CertificateSigner;
}

type Csr = CertificateSigningRequest & KubeObjectLike;
type TokenSecret = BootstrapTokenSecret & KubeObjectLike;

export function createCsrSigningController(
  ctx: ControllerContext,
  options: CsrSigningOptions = {},
): Controller {
  const log = ctx.log.child(CSR_SIGNING_CONTROLLER);
  const recorder = ctx.recorder(CSR_SIGNING_CONTROLLER);
  const informer = ctx.informers.informerFor<Csr>(CSRS);
  const signer = options.signer ?? ctx.clusterSigner;
  const now = () => new Date(ctx.clock.now());

  const controller = createQueueController({
    name: CSR_SIGNING_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile,
  });
  const enqueue = (csr: Csr) => controller.queue.add(csr.metadata.name ?? '');
  informer.addHandlers({ onAdd: enqueue, onUpdate: (_old, csr) => enqueue(csr) });

  const ref = (csr: Csr): KubeObjectLike => ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: csr.metadata.name, uid: csr.metadata.uid },
  });

  async function tokenSecret(tokenId: string): Promise<TokenSecret | undefined> {
    try {
      return await ctx.api.get<TokenSecret>(
        SECRETS,
        bootstrapTokenSecretName(tokenId),
        BOOTSTRAP_TOKEN_NAMESPACE,
      );
    } catch (err) {
      if (isKubeApiError(err, 404)) return undefined;
      throw err;
    }
  }

  /** Adds a condition through a subresource, guarded by the resourceVersion the decision was made on. */
  async function addCondition(
    csr: Csr,
    subresource: 'approval' | 'status',
    condition: CsrCondition,
  ): Promise<void> {
    const stamped = {
      ...condition,
      lastUpdateTime: now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
    };
    await ctx.api.patch(
      CSRS,
      csr.metadata.name ?? '',
      undefined,
      {
        metadata: { resourceVersion: csr.metadata.resourceVersion },
        status: { conditions: [...(csr.status?.conditions ?? []), stamped] },
      },
      'merge',
      subresource,
    );
  }

  async function reconcile(name: string): Promise<void> {
    const csr = informer.lister.get(name);
    if (!csr || csr.spec.signerName !== KUBELET_CLIENT_SIGNER) return;
    const approved = csrCondition(csr, 'Approved');
    const denied = csrCondition(csr, 'Denied');
    const failed = csrCondition(csr, 'Failed');

    if (!approved && !denied) {
      const tokenId = tokenIdOfUser(csr.spec.username);
      const parsed = await checkNodeClientRequest(csr);
      const review = reviewBootstrapRequest(
        csr,
        parsed,
        tokenId ? await tokenSecret(tokenId) : undefined,
        now(),
      );
      if (review.decision === 'skip') return;
      const type = review.decision === 'approve' ? 'Approved' : 'Denied';
      await addCondition(csr, 'approval', {
        type,
        status: 'True',
        reason: review.reason,
        message: review.message,
      });
      recorder.event(
        ref(csr),
        type === 'Approved' ? 'Normal' : 'Warning',
        type,
        `${review.reason}: ${review.message}`,
      );
      log.info(`${type.toLowerCase()} ${name}`, { reason: review.reason });
      return; // The write brings the request back through the queue for signing.
    }
    if (!approved || denied || failed) return;

    if (!csr.status?.certificate) {
      if (!signer) return;
      const parsed = await checkNodeClientRequest(csr);
      if (!parsed.ok) {
        await addCondition(csr, 'status', {
          type: 'Failed',
          status: 'True',
          reason: 'SignerValidationFailure',
          message: parsed.message,
        });
        recorder.event(ref(csr), 'Warning', 'SigningFailed', `${parsed.reason}: ${parsed.message}`);
        return;
      }
      const pem = await signer.sign({
        ...parsed.value,
        ...(csr.spec.expirationSeconds ? { expirationSeconds: csr.spec.expirationSeconds } : {}),
      });
      await ctx.api.patch(
        CSRS,
        name,
        undefined,
        {
          metadata: { resourceVersion: csr.metadata.resourceVersion },
          status: { certificate: Buffer.from(pem).toString('base64') },
        },
        'merge',
        'status',
      );
      recorder.event(
        ref(csr),
        'Normal',
        'Issued',
        `issued a client certificate for ${parsed.value.commonName}`,
      );
      log.info(`issued ${name}`, { subject: parsed.value.commonName });
    }

    // Spend the token (also after a restart between issuing and deleting).
    const tokenId = tokenIdOfUser(csr.spec.username);
    if (tokenId) {
      try {
        await ctx.api.delete(SECRETS, bootstrapTokenSecretName(tokenId), BOOTSTRAP_TOKEN_NAMESPACE);
        recorder.event(
          ref(csr),
          'Normal',
          'TokenSpent',
          `deleted bootstrap token ${tokenId}: it has been exchanged for a certificate`,
        );
      } catch (err) {
        if (!isKubeApiError(err, 404)) throw err;
      }
    }
  }

  return controller;
}

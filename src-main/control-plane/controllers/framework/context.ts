// What every controller is built with. The controller manager makes one context and hands it to each
// controller factory, so all controllers share the client, the informers and the clock.
import type { Logger } from '../../../platform/logger';
import type { EventRecorder, KubeApi } from '../../../shared/kube/types';
import type { Clock } from '../../workqueue/clock';
import type { CertificateSigner } from '../csrsigning/signer';
import type { SharedInformerFactory } from './informer-factory';

export interface ControllerContext {
  api: KubeApi;
  informers: SharedInformerFactory;
  /** The event recorder of a component (`replicaset-controller`, …), shared per component. */
  recorder(component: string): EventRecorder;
  log: Logger;
  clock: Clock;
  /** Workers per controller (default 2; the manager may raise it for big clusters). */
  workers?: number;
  /** Signs approved node certificate requests with the cluster CA (kube-controller-manager's --cluster-signing-*-file). */
  clusterSigner?: CertificateSigner;
}

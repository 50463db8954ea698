// The enrollment controller for Machines of type `ssh` and `docker` (see ./controller). `flotilla
// server` and the desktop app start it with startForServer: an API client with the admin kubeconfig of the data dir.
import path from 'node:path';
import { kubeApiFromKubeconfig } from '../../control-plane/client/kubeconfig';
import { ensureAgentBundle } from '../docker/agent-bundle';
import { startEnrollmentController, type EnrollmentController } from './controller';

export { ENROLLMENT_FINALIZER, needsReconcile, startEnrollmentController } from './controller';
export type { EnrollmentController, EnrollmentControllerOptions } from './controller';
export { MACHINES, SECRETS, NODES } from './enroll';
export { failureReason } from './status';

function loopbackOr(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '' || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h;
}

/** Starts the controller against the control plane at `url` (the port the agents will use). */
export async function startForServer(
  dataDir: string,
  url: string,
  log: { info(m: string): void; warn(m: string): void },
): Promise<EnrollmentController> {
  const client = await kubeApiFromKubeconfig(path.join(dataDir, 'kubeconfig'), {
    userAgent: 'enrollment-controller',
  });
  const controller = await startEnrollmentController({
    api: client.api,
    dataDir,
    apiServerPort: Number(new URL(url).port),
    apiServerUrl: url,
    // Tunnels deliver to the address the server listens on (loopback when it listens everywhere).
    apiServerHost: loopbackOr(new URL(url).hostname),
    agentBundle: () => ensureAgentBundle({ log: (l) => log.info(l) }),
    log,
  });
  return {
    tunnels: controller.tunnels,
    async stop() {
      await controller.stop();
      client.transport.close();
    },
  };
}

// Why a container could not be created or started: these become the container's waiting reason
// (what `kubectl get pods` shows in STATUS) with a message meant for the user.

export type ContainerWaitingReason =
  | 'ContainerCreating'
  | 'PodInitializing'
  | 'ErrImagePull'
  | 'ImagePullBackOff'
  | 'ErrImageNeverPull'
  | 'CrashLoopBackOff'
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'RunContainerError';

export class ContainerStartError extends Error {
  constructor(
    readonly reason: ContainerWaitingReason,
    message: string,
  ) {
    super(message);
    this.name = 'ContainerStartError';
  }
}

/** A pod-level problem while preparing the pod (volumes): the pod waits and an event says why. */
export class PodSetupError extends Error {
  constructor(
    readonly reason: 'FailedMount' | 'FailedCreatePodSandBox',
    message: string,
  ) {
    super(message);
    this.name = 'PodSetupError';
  }
}

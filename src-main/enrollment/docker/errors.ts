// Failures of enrolling, removing or loading images onto a Docker node: a code for scripts and tests,
// a message that says what went wrong and what to do.

export type EnrollmentErrorCode =
  | 'EngineUnreachable' // the Docker engine does not answer on the socket / DOCKER_HOST
  | 'ControlPlaneUnavailable' // no kubeconfig, CA key or API server to enroll against
  | 'NodeExists' // a Node of that name exists and is not this engine's
  | 'EngineTaken' // this engine already runs the agent of another node
  | 'BundleMissing' // the agent bundle is not built and cannot be built
  | 'ImageBuildFailed' // the agent's runtime image could not be made
  | 'AgentFailed' // the agent container exited or never became Ready
  | 'NodeNotFound' // no such node (for remove / image load)
  | 'DrainFailed' // pods did not leave the node in time
  | 'TeardownFailed' // the agent could not remove what it created
  | 'ImageLoadFailed'; // the engine refused the image tarball

export class EnrollmentError extends Error {
  override readonly name = 'EnrollmentError';
  constructor(
    readonly code: EnrollmentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

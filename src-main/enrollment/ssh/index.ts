// The SSH transport for Machines of type `ssh`: what the enrollment controller uses to connect,
// check, deliver the agent and hold a tunnel. See README-style notes at the top of each module.
export {
  connectSsh,
  describeEndpoint,
  probeHostKey,
  SshConnection,
  type ConnectOptions,
  type ExecOptions,
  type ExecResult,
  type SshAuth,
  type SshEndpoint,
  type SshTarget,
} from './connection';
export * from './errors';
export {
  fingerprintOfPublicKeyLine,
  isSha256Fingerprint,
  keyTypeOf,
  sameFingerprint,
  sha256Fingerprint,
} from './fingerprint';
export {
  openRemoteForward,
  type ForwardState,
  type ForwardStatus,
  type RemoteForward,
  type RemoteForwardOptions,
} from './forward';
export {
  evaluatePreflight,
  parseFacts,
  preflightFailureMessage,
  preflightScript,
  runPreflight,
  PREFLIGHT_DEFAULTS,
  type CheckName,
  type CheckStatus,
  type CommandRunner,
  type PreflightCheck,
  type PreflightFacts,
  type PreflightOptions,
  type PreflightReport,
} from './preflight';
export { shellQuote } from './shell';
export {
  installRelease,
  remoteSha256,
  uploadFile,
  type InstallReleaseOptions,
  type InstallReleaseResult,
  type ReleaseFile,
  type UploadOptions,
  type UploadResult,
  type UploadSource,
} from './upload';

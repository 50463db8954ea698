// TLS bootstrapping: the node makes its own key and obtains its client certificate with a bootstrap token.
export type { BootstrapDeps, BootstrapErrorCode, ClientCredentials } from './credentials';
export {
  BootstrapError,
  bootstrapClientCredentials,
  credentialPaths,
  credentialProblem,
  ensureClientCredentials,
  storeCredentials,
} from './credentials';
export type { NodeKeyAndRequest } from './csr';
export { createNodeKeyAndCsr } from './csr';

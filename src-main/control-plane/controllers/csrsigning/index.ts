export { createCsrSigningController, CSR_SIGNING_CONTROLLER, CSRS } from './controller';
export type { CsrSigningOptions } from './controller';
export { checkNodeClientRequest, reviewBootstrapRequest } from './review';
export type { ParsedNodeRequest, Review } from './review';
export { createCaSigner, MAX_CERTIFICATE_SECONDS } from './signer';
export type { CertificateSigner, SignRequest } from './signer';

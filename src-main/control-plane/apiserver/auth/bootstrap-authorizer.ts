// What a bootstrap token may do (Kubernetes' system:node-bootstrapper role, narrowed): create
// CertificateSigningRequests, and get or watch its own — nothing else. "Its own" is checked on the
// CSR named by the request (the path, or a `metadata.name=` field selector of a list/watch): the
// request's spec.username must be this token's user. A name that does not exist yet is allowed,
// because the agent starts watching the name it chose before it creates the CSR (the token is spent
// the moment the certificate is issued, so a watch opened afterwards could not authenticate). A
// list or watch without a name is denied: other nodes' requests are none of a token's business.
import { GROUP_BOOTSTRAPPERS } from '../../../shared/bootstrap';
import { resourcePrefix } from '../storage/keys';
import type { WatchCache } from '../storage/watch-cache';
import type { AuthorizerRule, Decision } from './authorizer';

const CSR_GROUP = 'certificates.k8s.io';
const CSR_RESOURCE = 'certificatesigningrequests';
const READ_VERBS = new Set(['get', 'list', 'watch']);

/** The little of a CSR the rule needs. */
export interface RequestedCsr {
  spec?: { username?: string };
}

export interface BootstrapperRuleOptions {
  /** The CSR of this name as the API server sees it now, or undefined. */
  getCsr(name: string): RequestedCsr | undefined;
}

export function createBootstrapperRule(options: BootstrapperRuleOptions): AuthorizerRule {
  return (user, attrs) => {
    if (!user.groups.includes(GROUP_BOOTSTRAPPERS)) return undefined;
    // Discovery and /openapi (kubectl reads them first) are for the other rules.
    if (!attrs.resource) return undefined;
    const isCsr = attrs.group === CSR_GROUP && attrs.resource === CSR_RESOURCE;
    if (!isCsr || attrs.subresource !== undefined)
      return deny(
        user.name,
        'a bootstrap token may only create certificate signing requests and read its own',
      );
    if (attrs.verb === 'create') return allow('bootstrap tokens may request a node certificate');
    if (!READ_VERBS.has(attrs.verb))
      return deny(user.name, `a bootstrap token may not ${attrs.verb} certificate signing requests`);
    if (!attrs.name)
      return deny(user.name, 'a bootstrap token may only read its own certificate signing requests, by name');
    const csr = options.getCsr(attrs.name);
    if (!csr) return allow('no such request yet: the name may be watched before it is created');
    return csr.spec?.username === user.name
      ? allow('a bootstrap token may read its own certificate signing requests')
      : deny(user.name, `certificate signing request "${attrs.name}" was not requested by this token`);
  };
}

/** `getCsr` over the API server's watch cache (late-bound: the cache exists once the server started). */
export function csrsFromCache(cache: () => WatchCache | undefined): BootstrapperRuleOptions['getCsr'] {
  const csrs = { group: CSR_GROUP, plural: CSR_RESOURCE };
  return (name) =>
    cache()
      ?.cacheFor(csrs)
      .get(`${resourcePrefix(csrs)}${name}`)?.obj as RequestedCsr | undefined;
}

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (user: string, reason: string): Decision => ({
  allowed: false,
  reason: `${reason} (user ${JSON.stringify(user)})`,
});

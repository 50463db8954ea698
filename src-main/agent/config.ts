// The agent's configuration: one JSON file written by whoever enrolls the machine (the control plane's
// `flotilla node add …`), overridable by environment variables and command-line flags for manual
// runs. PEM material may be inline (`caPem`) or a file next to the config (`caFile`); relative paths
// are resolved against the config file's folder so a config dir can be copied around as a unit.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AGENT_PORT } from '../shared/agent-api';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface AgentConfig {
  /** https://HOST:PORT of the API server. */
  apiServer: string;
  nodeName: string;
  /** The cluster CA: verifies the API server and the API server's client certificate. */
  caPem: string;
  /** The node's client identity: CN=system:node:NAME, O=system:nodes. */
  clientCertPem: string;
  clientKeyPem: string;
  /**
   * `<id>.<secret>`: a single-use bootstrap token to obtain the client identity with (TLS
   * bootstrapping, bootstrap/). Used only while the node has no client certificate.
   */
  bootstrapToken?: string;
  /** The agent API's serving certificate (SANs: the node's IPs and name). */
  servingCertPem: string;
  servingKeyPem: string;
  listenAddress: string;
  port: number;
  /** Volumes and agent state on the host. */
  rootDir: string;
  /** unix:///var/run/docker.sock, tcp://HOST:PORT; undefined: DOCKER_HOST or the default socket. */
  dockerHost?: string;
  /** The pod network's Docker network and Linux bridge names. */
  networkName: string;
  bridgeName: string;
  /** InternalIP to report; undefined: the address of the default route's interface. */
  nodeIP?: string;
  labels: Record<string, string>;
  /** Applied only when the agent creates its Node (as the kubelet's --register-with-taints). */
  taints: Taint[];
  /** All pods' IPs (every node's podCIDR is inside it): forwarded and not masqueraded. */
  clusterCIDR: string;
  /** The service proxy (iptables); off for nodes that must not touch the host's firewall. */
  proxy: { enabled: boolean; chainPrefix: string; masqueradeBit: number };
  /** Read os-release and machine-id from here (a host mount when the agent runs in a container). */
  hostRoot: string;
}

/**
 * The configuration as read: the client identity may be absent when a bootstrap token is given (the
 * agent then obtains it, see bootstrap/credentials.ts, before it starts).
 */
export type AgentSettings = Omit<AgentConfig, 'clientCertPem' | 'clientKeyPem'> &
  Partial<Pick<AgentConfig, 'clientCertPem' | 'clientKeyPem'>>;

export type AgentConfigErrorCode = 'ConfigMissing' | 'ConfigUnreadable' | 'ConfigInvalid';

export class AgentConfigError extends Error {
  constructor(
    readonly code: AgentConfigErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'AgentConfigError';
  }
}

export const DEFAULTS = {
  listenAddress: '0.0.0.0',
  port: AGENT_PORT,
  rootDir: '/var/lib/flotilla-agent',
  networkName: 'flotilla-pods',
  bridgeName: 'flotilla0',
  clusterCIDR: '10.244.0.0/16',
  chainPrefix: 'FLOTILLA',
  masqueradeBit: 14,
  hostRoot: '/',
} as const;

/** Environment variables the agent reads (each overrides the file, flags override both). */
export const ENV = {
  config: 'FLOTILLA_AGENT_CONFIG',
  apiServer: 'FLOTILLA_API_SERVER',
  nodeName: 'FLOTILLA_NODE_NAME',
  nodeIP: 'FLOTILLA_NODE_IP',
  rootDir: 'FLOTILLA_ROOT_DIR',
  port: 'FLOTILLA_AGENT_PORT',
  dockerHost: 'DOCKER_HOST',
} as const;

type Raw = Record<string, unknown>;
type ReadFile = (path: string) => string;

const defaultReadFile: ReadFile = (path) => readFileSync(path, 'utf8');

function str(raw: Raw, field: string): string | undefined {
  const v = raw[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new AgentConfigError('ConfigInvalid', 'must be a string', field);
  return v;
}

/** A PEM given inline (`<name>Pem`) or as a file (`<name>File`). */
function pem(raw: Raw, name: string, baseDir: string, readFile: ReadFile): string {
  const inline = str(raw, `${name}Pem`);
  if (inline) return inline;
  const file = str(raw, `${name}File`);
  if (!file) throw new AgentConfigError('ConfigMissing', `required (or ${name}File)`, `${name}Pem`);
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new AgentConfigError(
      'ConfigUnreadable',
      `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
      `${name}File`,
    );
  }
  if (!text.includes('-----BEGIN ')) {
    throw new AgentConfigError('ConfigInvalid', `${path} is not PEM`, `${name}File`);
  }
  return text;
}

function stringMap(raw: Raw, field: string): Record<string, string> {
  const v = raw[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new AgentConfigError('ConfigInvalid', 'must be an object of strings', field);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v as Raw)) {
    if (typeof value !== 'string')
      throw new AgentConfigError('ConfigInvalid', 'must be a string', `${field}.${k}`);
    out[k] = value;
  }
  return out;
}

function taints(raw: Raw): Taint[] {
  const v = raw.taints;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new AgentConfigError('ConfigInvalid', 'must be a list', 'taints');
  return v.map((t: unknown, i) => {
    const field = `taints[${i}]`;
    if (!t || typeof t !== 'object') throw new AgentConfigError('ConfigInvalid', 'must be an object', field);
    const { key, value, effect } = t as Raw;
    if (typeof key !== 'string' || !key)
      throw new AgentConfigError('ConfigInvalid', 'key is required', `${field}.key`);
    if (effect !== 'NoSchedule' && effect !== 'PreferNoSchedule' && effect !== 'NoExecute') {
      throw new AgentConfigError(
        'ConfigInvalid',
        'effect must be NoSchedule, PreferNoSchedule or NoExecute',
        `${field}.effect`,
      );
    }
    return { key, effect, ...(typeof value === 'string' && value ? { value } : {}) };
  });
}

function port(value: unknown, field: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new AgentConfigError('ConfigInvalid', 'must be a port number (0-65535)', field);
  return n;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Cidr(value: string, field: string): string {
  const [ip, prefix] = value.split('/');
  const m = IPV4.exec(ip ?? '');
  const p = Number(prefix);
  if (!m || m.slice(1).some((o) => Number(o) > 255) || !Number.isInteger(p) || p < 1 || p > 32)
    throw new AgentConfigError('ConfigInvalid', `"${value}" is not an IPv4 CIDR`, field);
  return value;
}

type ParseOptions = { baseDir?: string; env?: Record<string, string | undefined>; readFile?: ReadFile };

/**
 * Builds the configuration from the parsed file (`raw`), the environment and flags. Pure apart from
 * reading PEM files (injectable). Throws AgentConfigError naming the field at fault. The client
 * identity is required here; see parseAgentSettings for a config that may bootstrap it.
 */
export function parseAgentConfig(raw: Raw, options: ParseOptions = {}): AgentConfig {
  const settings = parseAgentSettings({ ...raw, bootstrapToken: undefined }, options);
  return {
    ...settings,
    clientCertPem: settings.clientCertPem ?? '',
    clientKeyPem: settings.clientKeyPem ?? '',
    ...(typeof raw.bootstrapToken === 'string' && raw.bootstrapToken
      ? { bootstrapToken: raw.bootstrapToken }
      : {}),
  };
}

/** As parseAgentConfig, but with a `bootstrapToken` the client certificate and key may be missing. */
export function parseAgentSettings(raw: Raw, options: ParseOptions = {}): AgentSettings {
  const env = options.env ?? {};
  const baseDir = options.baseDir ?? process.cwd();
  const readFile = options.readFile ?? defaultReadFile;
  const merged: Raw = { ...raw };
  const fromEnv: [keyof typeof ENV, string][] = [
    ['apiServer', ENV.apiServer],
    ['nodeName', ENV.nodeName],
    ['nodeIP', ENV.nodeIP],
    ['rootDir', ENV.rootDir],
    ['port', ENV.port],
  ];
  for (const [field, name] of fromEnv) if (env[name]) merged[field] = env[name];
  if (merged.dockerHost === undefined && env[ENV.dockerHost]) merged.dockerHost = env[ENV.dockerHost];

  const apiServer = str(merged, 'apiServer');
  if (!apiServer) throw new AgentConfigError('ConfigMissing', 'required', 'apiServer');
  let url: URL;
  try {
    url = new URL(apiServer);
  } catch {
    throw new AgentConfigError('ConfigInvalid', `"${apiServer}" is not a URL`, 'apiServer');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AgentConfigError('ConfigInvalid', 'must be an https:// URL', 'apiServer');

  const nodeName = str(merged, 'nodeName');
  if (!nodeName) throw new AgentConfigError('ConfigMissing', 'required', 'nodeName');
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName))
    throw new AgentConfigError('ConfigInvalid', `"${nodeName}" is not a valid DNS subdomain`, 'nodeName');

  const bridgeName = str(merged, 'bridgeName') ?? DEFAULTS.bridgeName;
  if (bridgeName.length > 15)
    throw new AgentConfigError(
      'ConfigInvalid',
      'at most 15 characters (a Linux interface name)',
      'bridgeName',
    );

  const nodeIP = str(merged, 'nodeIP');
  if (nodeIP && !IPV4.test(nodeIP))
    throw new AgentConfigError('ConfigInvalid', `"${nodeIP}" is not an IPv4 address`, 'nodeIP');

  const proxyRaw = (merged.proxy ?? {}) as Raw;
  if (typeof proxyRaw !== 'object' || Array.isArray(proxyRaw))
    throw new AgentConfigError('ConfigInvalid', 'must be an object', 'proxy');
  const chainPrefix = str(proxyRaw, 'chainPrefix') ?? DEFAULTS.chainPrefix;
  // Chain names are limited to 28 characters: PREFIX-SVC-<12 hash characters>.
  if (!/^[A-Z][A-Z0-9]{0,10}$/.test(chainPrefix))
    throw new AgentConfigError('ConfigInvalid', '1-11 upper-case letters and digits', 'proxy.chainPrefix');
  const masqueradeBit = proxyRaw.masqueradeBit ?? DEFAULTS.masqueradeBit;
  if (
    typeof masqueradeBit !== 'number' ||
    !Number.isInteger(masqueradeBit) ||
    masqueradeBit < 0 ||
    masqueradeBit > 31
  )
    throw new AgentConfigError('ConfigInvalid', 'must be a bit number 0-31', 'proxy.masqueradeBit');
  if (proxyRaw.enabled !== undefined && typeof proxyRaw.enabled !== 'boolean')
    throw new AgentConfigError('ConfigInvalid', 'must be true or false', 'proxy.enabled');

  const rootDir = str(merged, 'rootDir') ?? DEFAULTS.rootDir;
  const dockerHost = str(merged, 'dockerHost');
  const bootstrapToken = str(merged, 'bootstrapToken');
  if (bootstrapToken && !/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(bootstrapToken))
    throw new AgentConfigError(
      'ConfigInvalid',
      'must be <6 characters>.<16 characters> of [a-z0-9]',
      'bootstrapToken',
    );
  // With a bootstrap token the client identity may be missing: it is requested, not configured.
  const hasClient = Boolean(
    str(merged, 'clientCertPem') ||
    str(merged, 'clientCertFile') ||
    str(merged, 'clientKeyPem') ||
    str(merged, 'clientKeyFile'),
  );
  const client =
    bootstrapToken && !hasClient
      ? {}
      : {
          clientCertPem: pem(merged, 'clientCert', baseDir, readFile),
          clientKeyPem: pem(merged, 'clientKey', baseDir, readFile),
        };
  return {
    apiServer: apiServer.replace(/\/$/, ''),
    nodeName,
    caPem: pem(merged, 'ca', baseDir, readFile),
    ...client,
    ...(bootstrapToken ? { bootstrapToken } : {}),
    servingCertPem: pem(merged, 'servingCert', baseDir, readFile),
    servingKeyPem: pem(merged, 'servingKey', baseDir, readFile),
    listenAddress: str(merged, 'listenAddress') ?? DEFAULTS.listenAddress,
    port: port(merged.port ?? DEFAULTS.port, 'port'),
    rootDir: isAbsolute(rootDir) ? rootDir : resolve(baseDir, rootDir),
    ...(dockerHost ? { dockerHost } : {}),
    networkName: str(merged, 'networkName') ?? DEFAULTS.networkName,
    bridgeName,
    ...(nodeIP ? { nodeIP } : {}),
    labels: stringMap(merged, 'labels'),
    taints: taints(merged),
    clusterCIDR: ipv4Cidr(str(merged, 'clusterCIDR') ?? DEFAULTS.clusterCIDR, 'clusterCIDR'),
    proxy: { enabled: proxyRaw.enabled !== false, chainPrefix, masqueradeBit },
    hostRoot: str(merged, 'hostRoot') ?? DEFAULTS.hostRoot,
  };
}

export interface AgentCommandLine {
  config: AgentSettings;
  /** Remove everything the agent made on this machine (containers, network, rules), then exit. */
  teardown: boolean;
}

export const USAGE = `usage: node agent.mjs --config FILE [options]
  --config FILE          the agent's JSON config (or ${ENV.config})
  --api-server URL       override apiServer          --node-name NAME   override nodeName
  --node-ip IP           override nodeIP             --root-dir DIR     override rootDir
  --port N               override port               --docker-host URL  override dockerHost
  --teardown             remove this agent's containers, pod network and iptables rules, then exit`;

/** Parses argv (without node and script), reads the config file, applies env and flags. */
export function loadAgentCommandLine(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  readFile: ReadFile = defaultReadFile,
): AgentCommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'api-server': { type: 'string' },
        'node-name': { type: 'string' },
        'node-ip': { type: 'string' },
        'root-dir': { type: 'string' },
        port: { type: 'string' },
        'docker-host': { type: 'string' },
        teardown: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new AgentConfigError('ConfigInvalid', `${(err as Error).message}\n${USAGE}`);
  }
  const path = (values.config as string | undefined) ?? env[ENV.config];
  let raw: Raw = {};
  let baseDir = process.cwd();
  if (path) {
    baseDir = dirname(resolve(path));
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      throw new AgentConfigError('ConfigUnreadable', `cannot read ${path}: ${(err as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Raw;
    } catch (err) {
      throw new AgentConfigError('ConfigInvalid', `${path} is not JSON: ${(err as Error).message}`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new AgentConfigError('ConfigInvalid', `${path} must hold a JSON object`);
  }
  const flags: [string, string][] = [
    ['api-server', 'apiServer'],
    ['node-name', 'nodeName'],
    ['node-ip', 'nodeIP'],
    ['root-dir', 'rootDir'],
    ['port', 'port'],
    ['docker-host', 'dockerHost'],
  ];
  const config = parseAgentSettings(raw, { baseDir, env, readFile });
  const overrides: Raw = {};
  for (const [flag, field] of flags) if (typeof values[flag] === 'string') overrides[field] = values[flag];
  const final = Object.keys(overrides).length
    ? parseAgentSettings(
        { ...raw, ...overrides },
        { baseDir, env: { ...env, ...blankEnvFor(overrides) }, readFile },
      )
    : config;
  return { config: final, teardown: values.teardown === true };
}

/** Flags beat the environment: blank the env variables of the fields a flag sets. */
function blankEnvFor(overrides: Raw): Record<string, undefined> {
  const out: Record<string, undefined> = {};
  for (const field of Object.keys(overrides)) {
    const name = (ENV as Record<string, string>)[field];
    if (name) out[name] = undefined;
  }
  return out;
}

// The add-machine wizard's form: its fields, the checks that run before anything is created (each
// problem tied to its field, in words a person can act on), and the Secret and Machine built from it.
// The checks mirror what the API server enforces (kinds/machine.ts), so a form that passes here is not
// rejected there — and catch what the server cannot see (a public key pasted instead of the private one).
import {
  DEFAULT_SSH_PORT,
  DEFAULT_SSH_USER,
  MACHINE_API_VERSION,
  MACHINE_KIND,
  type MachineSpec,
  type MachineSshSpec,
} from '../../../../src-main/shared/machine';
import {
  isDNS1123Subdomain,
  isIPv4,
  isIPv6,
  isQualifiedName,
  isValidLabelValue,
} from '../../../../src-main/shared/validation';
import type { KubeObjectLike } from '../../../../src-main/shared/kube/types';
import type { MachineObject } from '../../lib/kube-types';

export type MachineKind = 'docker' | 'ssh';
export type SshAuth = 'key' | 'password';

export interface MachineForm {
  type: MachineKind;
  name: string;
  /** `key=value` pairs, separated by commas or new lines. */
  labels: string;
  // ssh
  address: string;
  port: string;
  user: string;
  auth: SshAuth;
  privateKey: string;
  password: string;
  useJump: boolean;
  jumpAddress: string;
  jumpPort: string;
  jumpUser: string;
  sudo: boolean;
}

export type FormField = Exclude<keyof MachineForm, 'type' | 'auth' | 'useJump' | 'sudo'>;
export type FieldErrors = Partial<Record<FormField, string>>;

export function emptyForm(type: MachineKind): MachineForm {
  return {
    type,
    name: type === 'docker' ? 'local' : '',
    labels: '',
    address: '',
    port: String(DEFAULT_SSH_PORT),
    user: DEFAULT_SSH_USER,
    auth: 'key',
    privateKey: '',
    password: '',
    useJump: false,
    jumpAddress: '',
    jumpPort: String(DEFAULT_SSH_PORT),
    jumpUser: '',
    sudo: false,
  };
}

/** A node name from an address: lower-case DNS characters (what `flotilla node add ssh` picks too). */
export function suggestName(address: string): string {
  return (
    address
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 63)
      .replace(/[-.]+$/g, '') || ''
  );
}

export function parseLabels(text: string): { labels: Record<string, string>; error?: string } {
  const labels: Record<string, string> = {};
  const parts = text
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { labels, error: `"${part}" is not key=value` };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const keyProblem = isQualifiedName(key)[0];
    if (keyProblem) return { labels, error: `label key "${key}": ${keyProblem}` };
    const valueProblem = isValidLabelValue(value)[0];
    if (valueProblem) return { labels, error: `label value "${value}": ${valueProblem}` };
    if (key in labels) return { labels, error: `label "${key}" is given twice` };
    labels[key] = value;
  }
  return { labels };
}

function addressProblem(value: string, what: string): string | undefined {
  const address = value.trim();
  if (!address) return `Enter the ${what}'s host name or IP address.`;
  if (/\s/.test(address)) return 'A host name or IP address has no spaces.';
  if (/@/.test(address)) return 'Put the user name in the User field, not in the address.';
  if (/^[0-9.]+$/.test(address))
    return isIPv4(address) ? undefined : `"${address}" is not a valid IPv4 address.`;
  if (address.includes(':')) {
    const bare = address.replace(/^\[|\]$/g, '');
    if (isIPv6(bare)) return undefined;
    return /^[^:]+:\d+$/.test(address)
      ? 'Put the port in the Port field.'
      : `"${address}" is not a valid IPv6 address.`;
  }
  return isDNS1123Subdomain(address.toLowerCase()).length
    ? `"${address}" is not a valid host name (letters, digits, "-" and ".").`
    : undefined;
}

function portProblem(value: string): string | undefined {
  const text = value.trim();
  if (!/^\d+$/.test(text)) return 'The port is a number, usually 22.';
  const port = Number(text);
  return port >= 1 && port <= 65535 ? undefined : 'The port must be between 1 and 65535.';
}

function userProblem(value: string): string | undefined {
  const user = value.trim();
  if (user === '') return undefined;
  return /^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(user)
    ? undefined
    : 'A login name has letters, digits, "_", "-" or "." (at most 32 characters).';
}

/** What is wrong with a pasted private key, if anything can be told from its text. */
export function privateKeyProblem(text: string): string | undefined {
  const key = text.trim();
  if (!key) return 'Paste the private key, or open the key file.';
  if (/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+|sk-\S+)\s+AAAA/.test(key))
    return 'This is a public key (the .pub file). Paste the private key — the file without .pub.';
  if (/^-----BEGIN SSH2 PUBLIC KEY-----/.test(key)) return 'This is a public key. Paste the private key.';
  if (/^PuTTY-User-Key-File/.test(key))
    return 'This is a PuTTY key (.ppk). Export it in OpenSSH format first (PuTTYgen: Conversions → Export OpenSSH key).';
  const begin = /^-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/.exec(key);
  if (!begin) return 'A private key starts with "-----BEGIN … PRIVATE KEY-----".';
  if (!key.includes(`-----END ${begin[1]}-----`))
    return 'The key is cut off: its "-----END … PRIVATE KEY-----" line is missing.';
  if (/Proc-Type: 4,ENCRYPTED/.test(key) || begin[1] === 'ENCRYPTED PRIVATE KEY')
    return 'This key is protected by a passphrase, which Flotilla cannot enter for you. Use a key without a passphrase, or a password.';
  return undefined;
}

/**
 * Every problem with the form, by field; empty when it can be submitted. `existing` are the names
 * of Machines already in the cluster (a name is the Machine's identity and its node's name);
 * `credentialsOptional` when fixing a machine that has credentials already.
 */
export function validateForm(
  form: MachineForm,
  existing: ReadonlySet<string> = new Set(),
  options: { credentialsOptional?: boolean } = {},
): FieldErrors {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = 'Give the machine a name; its node is called the same.';
  else if (isDNS1123Subdomain(name).length || name.length > 63)
    errors.name =
      'Use lower-case letters, digits, "-" and "." (at most 63), starting and ending with a letter or digit.';
  else if (existing.has(name)) errors.name = `A machine named "${name}" exists already. Choose another name.`;
  const labels = parseLabels(form.labels);
  if (labels.error) errors.labels = labels.error;
  if (form.type === 'docker') return errors;

  const address = addressProblem(form.address, 'machine');
  if (address) errors.address = address;
  const port = portProblem(form.port);
  if (port) errors.port = port;
  const user = userProblem(form.user);
  if (user) errors.user = user;
  const keepCredentials =
    options.credentialsOptional &&
    (form.auth === 'key' ? form.privateKey.trim() === '' : form.password === '');
  if (keepCredentials) {
    // Fixing a machine: empty credentials mean "keep the ones it has".
  } else if (form.auth === 'key') {
    const key = privateKeyProblem(form.privateKey);
    if (key) errors.privateKey = key;
  } else if (form.password === '') errors.password = 'Enter the password of the user above.';
  if (form.useJump) {
    const jumpAddress = addressProblem(form.jumpAddress, 'jump host');
    if (jumpAddress) errors.jumpAddress = jumpAddress;
    const jumpPort = portProblem(form.jumpPort);
    if (jumpPort) errors.jumpPort = jumpPort;
    const jumpUser = userProblem(form.jumpUser);
    if (jumpUser) errors.jumpUser = jumpUser;
  }
  return errors;
}

/** The Secret holding the credentials: `kubernetes.io/ssh-auth` for a key, Opaque for a password. */
export interface SecretObject extends KubeObjectLike {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  };
  type: string;
  data: Record<string, string>;
}

export const SECRET_NAMESPACE = 'default';
export const MACHINE_LABEL = 'flotilla.dev/machine';

/** The credentials' Secret name; retries with new credentials get a new one (so the spec changes). */
export function secretNameFor(machine: string, attempt = 0): string {
  return attempt > 0 ? `machine-${machine}-ssh-${attempt}` : `machine-${machine}-ssh`;
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function buildSecret(form: MachineForm, secretName: string): SecretObject {
  const name = form.name.trim();
  const base = {
    apiVersion: 'v1' as const,
    kind: 'Secret' as const,
    metadata: { name: secretName, namespace: SECRET_NAMESPACE, labels: { [MACHINE_LABEL]: name } },
  };
  return form.auth === 'key'
    ? {
        ...base,
        type: 'kubernetes.io/ssh-auth',
        // OpenSSH refuses a key file without its final newline; keep it whatever was pasted.
        data: { 'ssh-privatekey': base64(`${form.privateKey.trim()}\n`) },
      }
    : { ...base, type: 'Opaque', data: { password: base64(form.password) } };
}

/** The Machine's spec from the form (`secretName`: where the credentials are, for ssh). */
export function buildSpec(form: MachineForm, secretName?: string): MachineSpec {
  const { labels } = parseLabels(form.labels);
  const withLabels = Object.keys(labels).length ? { labels } : {};
  if (form.type === 'docker') return { type: 'docker', ...withLabels };
  const ref = { name: secretName ?? secretNameFor(form.name.trim()), namespace: SECRET_NAMESPACE };
  const ssh: MachineSshSpec = {
    address: form.address.trim().replace(/^\[|\]$/g, ''),
    port: Number(form.port.trim()),
    user: form.user.trim() || DEFAULT_SSH_USER,
    ...(form.auth === 'key' ? { privateKeySecretRef: ref } : { passwordSecretRef: ref }),
    ...(form.sudo ? { sudo: true } : {}),
  };
  if (form.useJump)
    ssh.jump = {
      address: form.jumpAddress.trim().replace(/^\[|\]$/g, ''),
      port: Number(form.jumpPort.trim()),
      ...(form.jumpUser.trim() ? { user: form.jumpUser.trim() } : {}),
    };
  return { type: 'ssh', ssh, ...withLabels };
}

export function buildMachine(form: MachineForm, secretName?: string): MachineObject {
  return {
    apiVersion: MACHINE_API_VERSION,
    kind: MACHINE_KIND,
    metadata: { name: form.name.trim() },
    spec: buildSpec(form, secretName),
  };
}

/** The form for fixing an existing Machine: its spec filled in, credentials left empty (kept unless given). */
export function formFromMachine(m: MachineObject): MachineForm {
  const form = emptyForm(m.spec.type);
  form.name = m.metadata.name;
  form.labels = Object.entries(m.spec.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const ssh = m.spec.ssh;
  if (ssh) {
    form.address = ssh.address;
    form.port = String(ssh.port ?? DEFAULT_SSH_PORT);
    form.user = ssh.user ?? DEFAULT_SSH_USER;
    form.auth = ssh.passwordSecretRef && !ssh.privateKeySecretRef ? 'password' : 'key';
    form.sudo = ssh.sudo === true;
    if (ssh.jump) {
      form.useJump = true;
      form.jumpAddress = ssh.jump.address;
      form.jumpPort = String(ssh.jump.port ?? DEFAULT_SSH_PORT);
      form.jumpUser = ssh.jump.user ?? '';
    }
  }
  return form;
}

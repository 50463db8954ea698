// What the Machines pages do to the cluster, as API calls (the same a `kubectl` user would make): add a
// machine (its credentials' Secret, then the Machine), accept a host key, fix and retry a failed
// enrollment, remove a machine. The enrollment controller does the work; these only change objects.
import { isKubeApiError } from '../../../../src-main/shared/kube/types';
import type { KubeApi } from '../../../../src-main/shared/kube/types';
import { MACHINE_API_VERSION, MACHINE_KIND } from '../../../../src-main/shared/machine';
import type { MachineObject } from '../../lib/kube-types';
import { R } from '../../lib/resources';
import {
  buildMachine,
  buildSecret,
  buildSpec,
  secretNameFor,
  SECRET_NAMESPACE,
  type FieldErrors,
  type FormField,
  type MachineForm,
  type SecretObject,
} from './machine-form';

export type MachineActionCode = 'MachineExists' | 'Invalid' | 'ApiError' | 'Timeout';

/** A failed action: a code, a message for the person, and problems tied to form fields when known. */
export class MachineActionError extends Error {
  constructor(
    readonly code: MachineActionCode,
    message: string,
    readonly fields: FieldErrors = {},
  ) {
    super(message);
    this.name = 'MachineActionError';
  }
}

// The server's field paths, as the wizard's fields.
const FIELD_OF: [RegExp, FormField][] = [
  [/^metadata\.name/, 'name'],
  [/^spec\.labels/, 'labels'],
  [/^spec\.ssh\.jump\.address/, 'jumpAddress'],
  [/^spec\.ssh\.jump\.port/, 'jumpPort'],
  [/^spec\.ssh\.jump\.user/, 'jumpUser'],
  [/^spec\.ssh\.address/, 'address'],
  [/^spec\.ssh\.port/, 'port'],
  [/^spec\.ssh\.user/, 'user'],
];

function asActionError(err: unknown, what: string): MachineActionError {
  if (err instanceof MachineActionError) return err;
  if (isKubeApiError(err)) {
    const fields: FieldErrors = {};
    for (const cause of err.status.details?.causes ?? []) {
      const field = FIELD_OF.find(([re]) => re.test(cause.field ?? ''))?.[1];
      if (field && !fields[field]) fields[field] = cause.message ?? 'invalid';
    }
    return new MachineActionError(
      err.code === 422 ? 'Invalid' : err.code === 409 ? 'MachineExists' : 'ApiError',
      `${what}: ${err.message}`,
      fields,
    );
  }
  return new MachineActionError('ApiError', `${what}: ${err instanceof Error ? err.message : String(err)}`);
}

async function exists(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return true;
  } catch (err) {
    if (isKubeApiError(err, 404)) return false;
    throw err;
  }
}

function ownerOf(m: MachineObject): { apiVersion: string; kind: string; name: string; uid: string } {
  return {
    apiVersion: MACHINE_API_VERSION,
    kind: MACHINE_KIND,
    name: m.metadata.name,
    uid: m.metadata.uid ?? '',
  };
}

async function deleteQuietly(api: KubeApi, name: string): Promise<void> {
  await api.delete(R.secrets, name, SECRET_NAMESPACE).catch((err: unknown) => {
    if (!isKubeApiError(err, 404)) throw err;
  });
}

/**
 * Creates the machine: for SSH the Secret first (the controller reads it as soon as the Machine
 * exists), then the Machine, then the Secret becomes the Machine's dependent so the garbage collector
 * deletes it with the Machine. Nothing is left behind when the Machine cannot be created.
 */
export async function addMachine(api: KubeApi, form: MachineForm): Promise<MachineObject> {
  const name = form.name.trim();
  try {
    if (await exists(() => api.get(R.machines, name)))
      throw new MachineActionError('MachineExists', `A machine named "${name}" exists already.`, {
        name: `A machine named "${name}" exists already. Choose another name.`,
      });
    if (form.type === 'docker') return await api.create<MachineObject>(R.machines, buildMachine(form));

    const secretName = secretNameFor(name);
    // A leftover from an earlier machine of this name (its Machine is gone, so it is no one's).
    await deleteQuietly(api, secretName);
    await api.create<SecretObject>(R.secrets, buildSecret(form, secretName), SECRET_NAMESPACE);
    let created: MachineObject;
    try {
      created = await api.create<MachineObject>(R.machines, buildMachine(form, secretName));
    } catch (err) {
      await deleteQuietly(api, secretName).catch(() => undefined);
      throw err;
    }
    await api.patch(
      R.secrets,
      secretName,
      SECRET_NAMESPACE,
      { metadata: { ownerReferences: [ownerOf(created)] } },
      'merge',
    );
    return created;
  } catch (err) {
    throw asActionError(err, `Could not add ${name}`);
  }
}

/** Accepts the host key the machine (or its jump host) presented: the controller pins it and carries on. */
export async function acceptHostKey(
  api: KubeApi,
  name: string,
  fingerprint: string,
  of: 'host' | 'jump' = 'host',
): Promise<void> {
  try {
    const ssh =
      of === 'jump' ? { jump: { hostKeyFingerprint: fingerprint } } : { hostKeyFingerprint: fingerprint };
    await api.patch(R.machines, name, undefined, { spec: { ssh } }, 'merge');
  } catch (err) {
    throw asActionError(err, `Could not accept the host key of ${name}`);
  }
}

function credentialsGiven(form: MachineForm): boolean {
  return form.auth === 'key' ? form.privateKey.trim() !== '' : form.password !== '';
}

/**
 * Fixes a failed SSH machine and retries: the spec is replaced by the form's, with the credentials in a
 * new Secret (new ones when given, else a copy of the current ones) — a new Secret name changes the
 * spec, so the enrollment controller sees a new generation and runs again even when nothing else
 * changed. An accepted host key stays accepted unless the address changed (likewise the jump host's).
 */
export async function retrySshMachine(
  api: KubeApi,
  machine: MachineObject,
  form: MachineForm,
): Promise<MachineObject> {
  const name = machine.metadata.name;
  try {
    const attempt = (machine.metadata.generation ?? 1) + 1;
    const secretName = secretNameFor(name, attempt);
    const old = machine.spec.ssh?.privateKeySecretRef ?? machine.spec.ssh?.passwordSecretRef;
    let secret: SecretObject;
    if (credentialsGiven(form)) secret = buildSecret(form, secretName);
    else {
      if (!old)
        throw new MachineActionError('Invalid', 'Enter a key or password.', { privateKey: 'Enter a key.' });
      const current = await api.get<SecretObject>(R.secrets, old.name, old.namespace);
      secret = { ...buildSecret(form, secretName), type: current.type, data: current.data };
      // The current Secret decides how to log in when no new credentials were given.
      form = { ...form, auth: current.data['ssh-privatekey'] !== undefined ? 'key' : 'password' };
    }
    secret.metadata.ownerReferences = [ownerOf(machine)];
    await deleteQuietly(api, secretName);
    await api.create<SecretObject>(R.secrets, secret, SECRET_NAMESPACE);
    const spec = buildSpec(form, secretName);
    const ssh = spec.ssh!;
    const sameHost =
      ssh.address === machine.spec.ssh?.address && (ssh.port ?? 22) === (machine.spec.ssh?.port ?? 22);
    const oldJump = machine.spec.ssh?.jump;
    const sameJump =
      !!ssh.jump &&
      !!oldJump &&
      ssh.jump.address === oldJump.address &&
      (ssh.jump.port ?? 22) === (oldJump.port ?? 22);
    // A merge patch: null removes what the new spec leaves out.
    const patch = {
      spec: {
        labels: spec.labels ?? null,
        ssh: {
          ...ssh,
          privateKeySecretRef: ssh.privateKeySecretRef ?? null,
          passwordSecretRef: ssh.passwordSecretRef ?? null,
          jump: ssh.jump
            ? { ...ssh.jump, hostKeyFingerprint: sameJump ? (oldJump?.hostKeyFingerprint ?? null) : null }
            : null,
          sudo: ssh.sudo ?? null,
          hostKeyFingerprint: sameHost ? (machine.spec.ssh?.hostKeyFingerprint ?? null) : null,
        },
      },
    };
    let patched: MachineObject;
    try {
      patched = await api.patch<MachineObject>(R.machines, name, undefined, patch, 'merge');
    } catch (err) {
      await deleteQuietly(api, secretName).catch(() => undefined);
      throw err;
    }
    // The old credentials are no longer referenced (only ever delete our own).
    if (old && old.name !== secretName && old.name.startsWith(secretNameFor(name)))
      await deleteQuietly(api, old.name).catch(() => undefined);
    return patched;
  } catch (err) {
    throw asActionError(err, `Could not retry ${name}`);
  }
}

/** Starts removing a machine (the controller drains, uninstalls, deletes the node, then the Machine). */
export async function removeMachine(api: KubeApi, name: string): Promise<void> {
  try {
    await api.delete(R.machines, name);
  } catch (err) {
    if (isKubeApiError(err, 404)) return;
    throw asActionError(err, `Could not remove ${name}`);
  }
}

/**
 * Tries a local-Docker machine again: its spec has nothing to fix, so it is removed (which also cleans
 * up whatever the failed attempt left) and created again once it is gone.
 */
export async function retryDockerMachine(
  api: KubeApi,
  machine: MachineObject,
  form: MachineForm,
  options: { timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<MachineObject> {
  const name = machine.metadata.name;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    await removeMachine(api, name);
    while (await exists(() => api.get(R.machines, name))) {
      if (Date.now() > deadline)
        throw new MachineActionError('Timeout', `${name} is still being removed; try again in a moment.`);
      await sleep(250);
    }
    return await api.create<MachineObject>(R.machines, buildMachine({ ...form, name }));
  } catch (err) {
    throw asActionError(err, `Could not retry ${name}`);
  }
}

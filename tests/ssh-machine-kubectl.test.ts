// The Machine kind (flotilla.dev/v1) through the real kubectl: apply, get (short name, wide),
// explain, validation errors with field paths, and status written through the status subresource.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from './support/control-plane';
import { kubectlRunner, type KubectlResult } from './support/kubectl';
import { requireTool } from './support/tools';

const tool = requireTool(process.env.FLOTILLA_KUBECTL ?? 'kubectl', 'apt-get install -y kubernetes-client');
const FP = 'SHA256:otMIhTbfn+7/9V7j4PwdiFp/2XF32CjCkG4Y+p9nI8I';

const MACHINE_YAML = `apiVersion: flotilla.dev/v1
kind: Machine
metadata:
  name: vm1
spec:
  type: ssh
  ssh:
    address: 10.77.0.2
    privateKeySecretRef:
      name: vm1-ssh
      namespace: default
  labels:
    flotilla.dev/pool: lab
---
apiVersion: flotilla.dev/v1
kind: Machine
metadata:
  name: local
spec:
  type: docker
`;

let cp: TestControlPlane;
let cacheDir: string;
let run: ReturnType<typeof kubectlRunner>;

function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return run(['--cache-dir', cacheDir, ...args], input !== undefined ? { input } : {});
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe.skipIf(!tool.path)(
  `Machine kind through kubectl${tool.skipReason ? ` (skipped: ${tool.skipReason})` : ''}`,
  () => {
    beforeAll(async () => {
      cp = await startTestControlPlane();
      cacheDir = await mkdtemp(join(tmpdir(), 'flotilla-kubectl-cache-'));
      run = kubectlRunner(tool.path!, cp.kubeconfigPath);
    });
    afterAll(async () => {
      await cp?.dispose();
      if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    });

    it('is discoverable: api-resources lists machines with its short name', async () => {
      const out = await ok(['api-resources', '--api-group', 'flotilla.dev', '--no-headers']);
      expect(out.trim().split(/\s+/)).toEqual(['machines', 'mach', 'flotilla.dev/v1', 'false', 'Machine']);
    });

    it('applies machines from YAML, defaulting port and user', async () => {
      const out = await ok(['apply', '-f', '-'], MACHINE_YAML);
      expect(out.trim().split('\n')).toEqual([
        'machine.flotilla.dev/vm1 created',
        'machine.flotilla.dev/local created',
      ]);
      const vm1 = JSON.parse(await ok(['get', 'machine', 'vm1', '-o', 'json'])) as {
        spec: { ssh: Record<string, unknown> };
        metadata: { generation: number };
      };
      expect(vm1.spec.ssh).toMatchObject({ address: '10.77.0.2', port: 22, user: 'root' });
      // Applying the same file again changes nothing.
      expect((await ok(['apply', '-f', '-'], MACHINE_YAML)).trim().split('\n')).toEqual([
        'machine.flotilla.dev/vm1 unchanged',
        'machine.flotilla.dev/local unchanged',
      ]);
    });

    it('gets machines with the table columns, by short name and wide', async () => {
      const out = await ok(['get', 'machines']);
      const lines = out.trim().split('\n');
      expect(lines[0]!.split(/\s{2,}/)).toEqual(['NAME', 'TYPE', 'ADDRESS', 'PHASE', 'NODE', 'AGE']);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
        ['local', 'docker', 'local', 'Pending', '<none>'],
        ['vm1', 'ssh', 'root@10.77.0.2', 'Pending', '<none>'],
      ]);
      const wide = (await ok(['get', 'mach', 'vm1', '-o', 'wide'])).trim().split('\n');
      expect(wide[0]!.split(/\s{2,}/)).toEqual([
        'NAME',
        'TYPE',
        'ADDRESS',
        'PHASE',
        'NODE',
        'AGE',
        'REACHABILITY',
        'FINGERPRINT',
        'STEP',
      ]);
    });

    it('explains machine.spec.ssh from the OpenAPI definition', async () => {
      const out = await ok(['explain', 'machine.spec.ssh']);
      expect(out).toContain('GROUP:      flotilla.dev');
      expect(out).toContain('KIND:       Machine');
      for (const field of [
        'address',
        'hostKeyFingerprint',
        'jump',
        'passwordSecretRef',
        'port',
        'privateKeySecretRef',
        'sudo',
        'user',
      ]) {
        expect(out).toMatch(new RegExp(`^  ${field}\\s`, 'm'));
      }
      expect(out).toMatch(/address\s+<string> -required-/);
      const type = await ok(['explain', 'machines.spec.type']);
      expect(type).toContain('"ssh"');
    });

    it('rejects invalid machines with field paths', async () => {
      const bad = `apiVersion: flotilla.dev/v1
kind: Machine
metadata:
  name: bad
spec:
  type: ssh
  ssh:
    port: 99999
    hostKeyFingerprint: nope
`;
      const r = await kubectl(['apply', '-f', '-'], bad);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/The Machine "bad" is invalid/);
      expect(r.stderr).toContain('spec.ssh.address: Required value');
      expect(r.stderr).toContain(
        'spec.ssh.port: Invalid value: 99999: must be between 1 and 65535, inclusive',
      );
      expect(r.stderr).toContain('spec.ssh.hostKeyFingerprint: Invalid value: "nope"');
      expect((await kubectl(['get', 'machine', 'bad'])).code).not.toBe(0);
    });

    it('takes status through the status subresource only, and shows it', async () => {
      const status = {
        status: {
          phase: 'Enrolling',
          reachability: 'tunnel',
          observedHostKeyFingerprint: FP,
          steps: [
            {
              name: 'connect',
              state: 'done',
              startedAt: '2025-01-01T00:00:00Z',
              finishedAt: '2025-01-01T00:00:01Z',
            },
            { name: 'verify-host-key', state: 'running' },
          ],
        },
      };
      await ok([
        'patch',
        'machine',
        'vm1',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify(status),
      ]);
      const wide = (await ok(['get', 'machine', 'vm1', '-o', 'wide', '--no-headers'])).trim().split(/\s+/);
      expect(wide).toEqual([
        'vm1',
        'ssh',
        'root@10.77.0.2',
        'Enrolling',
        '<none>',
        expect.any(String),
        'tunnel',
        FP,
        'verify-host-key',
        '(running)',
      ]);
      // A main-resource write cannot change status.
      await ok([
        'patch',
        'machine',
        'vm1',
        '--type=merge',
        '-p',
        '{"status":{"phase":"Ready"},"spec":{"ssh":{"hostKeyFingerprint":"' + FP + '"}}}',
      ]);
      const after = JSON.parse(await ok(['get', 'machine', 'vm1', '-o', 'json'])) as {
        spec: { ssh: { hostKeyFingerprint: string } };
        status: { phase: string };
      };
      expect(after.status.phase).toBe('Enrolling');
      expect(after.spec.ssh.hostKeyFingerprint).toBe(FP);
      // Bad status enums are refused.
      const bad = await kubectl([
        'patch',
        'machine',
        'vm1',
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"phase":"Dancing"}}',
      ]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('status.phase: Unsupported value: "Dancing"');
    });

    it('deletes machines', async () => {
      expect((await ok(['delete', 'machine', 'vm1', 'local'])).trim().split('\n')).toEqual([
        'machine.flotilla.dev "vm1" deleted',
        'machine.flotilla.dev "local" deleted',
      ]);
    });
  },
);

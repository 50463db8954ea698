// scripts/testbed.sh itself, on an instance of its own (so taking it down disturbs no other suite):
// hosts come up with their own host keys, engines and test image, reach each other, survive a
// repeated `up`, are recreated after a crash, and `down` leaves nothing behind.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectSsh, type SshConnection } from '../src-main/enrollment/ssh';
import { TEST_IMAGE } from './support/docker';
import { requireTestbed, testbedScript, testKey, type Testbed } from './support/testbed';

const run = promisify(execFile);
const INSTANCE = 20;
const setup = await requireTestbed(2, INSTANCE);
const testbed = setup.testbed as Testbed;

async function sh(cmd: string): Promise<string> {
  return (await run('sh', ['-c', cmd])).stdout;
}

/** Processes whose command line or mount namespace belongs to the instance. */
function processesOf(stateDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (cmd.includes(stateDir) && state !== 'Z') found.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe.skipIf(!setup.testbed)(
  `test bed script ${setup.skipReason ? `(skipped: ${setup.skipReason})` : ''}`,
  () => {
    const conns: SshConnection[] = [];
    const connect = async (i: number) => {
      const h = testbed.hosts[i]!;
      const c = await connectSsh({
        host: h.ip,
        user: 'root',
        auth: { privateKey: testKey(testbed) },
        hostKeyFingerprint: h.hostKeyFingerprint,
      });
      conns.push(c);
      return c;
    };
    afterAll(async () => {
      for (const c of conns) c.close();
      if (existsSync(testbed.stateDir)) await testbedScript(['down'], INSTANCE).catch(() => undefined);
    });

    it('brings up hosts on their own addresses, each answering SSH with its own host key', async () => {
      expect(testbed.instance).toBe(INSTANCE);
      expect(testbed.hosts.map((h) => [h.name, h.ip])).toEqual([
        [`flotilla-tb${INSTANCE}-vm1`, `10.77.${INSTANCE}.2`],
        [`flotilla-tb${INSTANCE}-vm2`, `10.77.${INSTANCE}.3`],
      ]);
      const [a, b] = testbed.hosts;
      expect(a!.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(a!.hostKeyFingerprint).not.toBe(b!.hostKeyFingerprint);
      const c1 = await connect(0);
      const c2 = await connect(1);
      // connectSsh verified the pinned keys; each host also has its own name and machine-id.
      expect((await c1.run('hostname')).trim()).toBe(a!.name);
      expect((await c2.run('hostname')).trim()).toBe(b!.name);
      expect(await c1.run('cat /etc/machine-id')).not.toBe(await c2.run('cat /etc/machine-id'));
      // Not the machine's own sshd keys.
      const own = await sh(
        'ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null | cut -d" " -f2 || true',
      );
      expect(own.trim()).not.toBe(a!.hostKeyFingerprint);
    });

    it('runs a dockerd of its own on each host, with the test image loaded', async () => {
      const ids = await Promise.all(
        [0, 1].map(async (i) =>
          (await (await connect(i)).run(`docker info --format '{{.ID}} {{.Name}}'`)).trim(),
        ),
      );
      expect(ids[0]).not.toBe(ids[1]);
      expect(ids[0]!.endsWith(testbed.hosts[0]!.name)).toBe(true);
      const machineId = (await sh(`docker info --format '{{.ID}}'`)).trim();
      expect(ids.map((id) => id.split(' ')[0])).not.toContain(machineId);
      for (const i of [0, 1]) {
        const c = await connect(i);
        expect((await c.run(`docker image inspect --format '{{.Id}}' ${TEST_IMAGE}`)).trim()).toMatch(
          /^sha256:/,
        );
        // Reachable from the machine too, through the socket the summary names.
        const fromMachine = await sh(
          `docker -H unix://${testbed.hosts[i]!.dockerSocket} info --format '{{.ID}}'`,
        );
        expect(fromMachine.trim()).toBe(ids[i]!.split(' ')[0]);
      }
    });

    it('lets hosts reach each other directly, routed through the machine', async () => {
      const c1 = await connect(0);
      const [, b] = testbed.hosts;
      expect(
        (await c1.exec(`timeout 3 bash -c 'exec 3<>/dev/tcp/${b!.ip}/22 && head -c 7 <&3'`)).stdout,
      ).toBe('SSH-2.0');
      expect((await c1.run('ip route show default')).trim()).toBe(`default via ${testbed.gateway} dev eth0`);
      // A container on one host reaches the other host (the engine's NAT leaves through eth0).
      const out = await c1.run(
        `docker run --rm ${TEST_IMAGE} sh -c 'echo | nc -w 3 ${b!.ip} 22 | head -c 7'`,
        { timeoutMs: 30_000 },
      );
      expect(out).toBe('SSH-2.0');
    });

    it('up again is a no-op for healthy hosts and recreates a crashed one', async () => {
      const again = JSON.parse(await testbedScript(['up', '2'], INSTANCE)) as Testbed;
      expect(again.hosts.map((h) => h.hostKeyFingerprint)).toEqual(
        testbed.hosts.map((h) => h.hostKeyFingerprint),
      );
      // Crash host 2: kill everything in its namespace.
      const h2 = testbed.hosts[1]!;
      await sh(`ip netns pids ${h2.netns} | xargs -r kill -9`);
      const status = await testbedScript(['status'], INSTANCE).then(
        () => undefined,
        (err: { stdout?: string }) => JSON.parse(err.stdout ?? '{}') as Testbed,
      );
      expect(status?.hosts.map((h) => h.alive)).toEqual([true, false]);
      const healed = JSON.parse(await testbedScript(['up', '2'], INSTANCE)) as Testbed;
      expect(healed.hosts[0]!.hostKeyFingerprint).toBe(testbed.hosts[0]!.hostKeyFingerprint);
      expect(healed.hosts[1]!.hostKeyFingerprint).not.toBe(h2.hostKeyFingerprint);
      const c = await connectSsh({
        host: h2.ip,
        user: 'root',
        auth: { privateKey: testKey(testbed) },
        hostKeyFingerprint: healed.hosts[1]!.hostKeyFingerprint,
      });
      conns.push(c);
      expect((await c.run('docker info --format "{{.Name}}"')).trim()).toBe(h2.name);
    });

    it('down leaves nothing: processes, namespaces, links, bridge, rules, mounts, state', async () => {
      for (const c of conns.splice(0)) c.close();
      await testbedScript(['down'], INSTANCE);
      expect(existsSync(testbed.stateDir)).toBe(false);
      expect(processesOf(testbed.stateDir)).toEqual([]);
      expect(
        (await sh('ip netns list')).split('\n').filter((l) => l.startsWith(`flotilla-tb${INSTANCE}-`)),
      ).toEqual([]);
      const links = await sh('ip -o link show');
      expect(links).not.toContain(testbed.bridge);
      expect(links).not.toContain(`fltb${INSTANCE}-vm`);
      expect(await sh(`ip -o addr show | grep -F ' 10.77.${INSTANCE}.' || true`)).toBe('');
      expect(await sh(`iptables-save | grep -F flotilla-testbed-${INSTANCE} || true`)).toBe('');
      expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(testbed.stateDir);
      // Nothing of the hosts' engines survives either (their containers would hold the network namespace files).
      expect(existsSync(`/run/netns/${testbed.hosts[0]!.netns}`)).toBe(false);
    });
  },
);

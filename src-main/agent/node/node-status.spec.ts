import { describe, expect, it } from 'vitest';
import {
  cgroupCpuLimit,
  cgroupMemoryLimit,
  defaultRouteInterface,
  goArch,
  meminfoValue,
  osImageFrom,
  pickInternalIP,
  readMachineFacts,
} from './machine';
import type { MachineFacts, MachineSource } from './machine';
import { buildNodeStatus, cpuQuantity, nodeConditions, significantlyDifferent } from './node-status';
import type { NodeHealth } from './node-status';
import type { NodeCondition } from './types';

const GiB = 1024 ** 3;
const facts: MachineFacts = {
  cpuCores: 4,
  memoryBytes: 16 * GiB,
  memoryAvailableBytes: 8 * GiB,
  diskBytes: 100 * GiB,
  diskAvailableBytes: 50 * GiB,
  pidMax: 32768,
  processes: 300,
  hostname: 'box',
  internalIP: '192.168.1.20',
  kernelVersion: '6.1.0-18-amd64',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  operatingSystem: 'linux',
  architecture: 'amd64',
  machineID: 'abc',
  bootID: 'def',
};
const healthy: NodeHealth = {
  runtime: { ok: true, version: '20.10.24' },
  podNetwork: { ready: true },
  proxy: { ready: true },
};
const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-01T00:00:10.000Z';

const byType = (conds: NodeCondition[]): Record<string, NodeCondition | undefined> =>
  Object.fromEntries(conds.map((c) => [c.type, c]));

describe('node status', () => {
  it('reports capacity and allocatable from the machine', () => {
    const s = buildNodeStatus({ facts, health: healthy, port: 10250, agentVersion: '1.2.3', now: T0 });
    expect(s.capacity).toEqual({
      cpu: '4',
      memory: `${16 * 1024 * 1024}Ki`,
      pods: '110',
      'ephemeral-storage': `${100 * 1024 * 1024}Ki`,
    });
    expect(s.allocatable).toEqual({
      cpu: '4',
      memory: `${16 * 1024 * 1024 - 100 * 1024}Ki`,
      pods: '110',
      'ephemeral-storage': String(Math.floor(100 * GiB * 0.9)),
    });
    expect(s.addresses).toEqual([
      { type: 'InternalIP', address: '192.168.1.20' },
      { type: 'Hostname', address: 'box' },
    ]);
    expect(s.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(s.nodeInfo).toMatchObject({
      containerRuntimeVersion: 'docker://20.10.24',
      kubeletVersion: 'flotilla-agent/1.2.3',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      architecture: 'amd64',
      operatingSystem: 'linux',
      bootID: 'def',
    });
    expect(cpuQuantity(1.5)).toBe('1500m');
  });

  it('is Ready with no pressure on a healthy machine', () => {
    const c = byType(nodeConditions({ facts, health: healthy, now: T0 }));
    expect(c.Ready).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(c.MemoryPressure).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientMemory' });
    expect(c.DiskPressure).toMatchObject({ status: 'False', reason: 'KubeletHasNoDiskPressure' });
    expect(c.PIDPressure).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientPID' });
    expect(c.ServiceProxyReady).toMatchObject({ status: 'True' });
  });

  it('reports pressure from real thresholds', () => {
    const c = byType(
      nodeConditions({
        facts: {
          ...facts,
          memoryAvailableBytes: 50 * 1024 * 1024,
          diskAvailableBytes: 5 * GiB,
          processes: 32000,
        },
        health: healthy,
        now: T0,
      }),
    );
    expect(c.MemoryPressure).toMatchObject({ status: 'True', reason: 'KubeletHasInsufficientMemory' });
    expect(c.DiskPressure).toMatchObject({ status: 'True', reason: 'KubeletHasDiskPressure' });
    expect(c.PIDPressure).toMatchObject({ status: 'True', reason: 'KubeletHasInsufficientPID' });
  });

  it('is NotReady with the reason while the runtime or the pod network is missing; the proxy is its own condition', () => {
    const c = byType(
      nodeConditions({
        facts,
        health: {
          runtime: { ok: false, message: 'connect ENOENT /var/run/docker.sock' },
          podNetwork: { ready: false, message: 'waiting for the control plane to assign a pod CIDR' },
          proxy: { ready: false, reason: 'NotRoot', message: 'the agent is not running as root' },
        },
        now: T0,
      }),
    );
    expect(c.Ready?.status).toBe('False');
    expect(c.Ready).toMatchObject({ reason: 'KubeletNotReady' });
    expect(c.Ready?.message).toContain('docker.sock');
    expect(c.Ready?.message).toContain('pod CIDR');
    expect(c.ServiceProxyReady).toMatchObject({ status: 'False', reason: 'NotRoot' });
  });

  it('keeps lastTransitionTime until the status changes, and only heartbeat changes are not significant', () => {
    const first = buildNodeStatus({ facts, health: healthy, port: 1, agentVersion: 'v', now: T0 });
    const same = buildNodeStatus({
      facts,
      health: healthy,
      port: 1,
      agentVersion: 'v',
      previous: first.conditions,
      now: T1,
    });
    expect(byType(same.conditions!).Ready).toMatchObject({ lastTransitionTime: T0, lastHeartbeatTime: T1 });
    expect(significantlyDifferent(first, same)).toBe(false);
    const down = buildNodeStatus({
      facts,
      health: { ...healthy, podNetwork: { ready: false, message: 'gone' } },
      port: 1,
      agentVersion: 'v',
      previous: first.conditions,
      now: T1,
    });
    expect(byType(down.conditions!).Ready).toMatchObject({ status: 'False', lastTransitionTime: T1 });
    expect(significantlyDifferent(first, down)).toBe(true);
    expect(significantlyDifferent(undefined, first)).toBe(true);
  });
});

describe('machine facts', () => {
  it('parses cgroup limits, meminfo, os-release and the default route', () => {
    expect(cgroupCpuLimit('max 100000')).toBeUndefined();
    expect(cgroupCpuLimit('150000 100000')).toBe(1.5);
    expect(cgroupCpuLimit(undefined, '200000', '100000')).toBe(2);
    expect(cgroupCpuLimit(undefined, '-1', '100000')).toBeUndefined();
    expect(cgroupMemoryLimit('max')).toBeUndefined();
    expect(cgroupMemoryLimit('9223372036854771712')).toBeUndefined();
    expect(cgroupMemoryLimit('1073741824\n')).toBe(GiB);
    expect(meminfoValue('MemTotal:       16384 kB\nMemAvailable:    8192 kB\n', 'MemAvailable')).toBe(
      8192 * 1024,
    );
    expect(osImageFrom('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe(
      'Debian GNU/Linux 12 (bookworm)',
    );
    expect(osImageFrom(undefined)).toBe('Unknown');
    const route =
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'eth1\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
      'eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n';
    expect(defaultRouteInterface(route)).toBe('eth0');
    expect(goArch('x64')).toBe('amd64');
    const ifaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      docker0: [{ address: '172.17.0.1', family: 'IPv4', internal: false }],
      eth0: [{ address: '192.168.1.20', family: 'IPv4', internal: false }],
      eth1: [{ address: '10.0.0.5', family: 'IPv4', internal: false }],
    } as unknown as Parameters<typeof pickInternalIP>[0];
    expect(pickInternalIP(ifaces, 'eth1')).toBe('10.0.0.5');
    expect(pickInternalIP(ifaces, undefined)).toBe('192.168.1.20');
  });

  it('takes the smaller of hardware and cgroup limits', async () => {
    const files: Record<string, string> = {
      '/sys/fs/cgroup/cpu.max': '100000 100000',
      '/sys/fs/cgroup/memory.max': String(2 * GiB),
      '/proc/meminfo': 'MemTotal:       16777216 kB\nMemAvailable:    1048576 kB\n',
      '/proc/sys/kernel/pid_max': '4194304\n',
      '/host/etc/os-release': 'PRETTY_NAME="Test OS"\n',
      '/host/etc/machine-id': 'mid\n',
      '/proc/sys/kernel/random/boot_id': 'bid\n',
    };
    const source: MachineSource = {
      readText: async (p) => files[p],
      statfs: async () => ({ blocks: 1000, bavail: 250, bsize: 4096 }),
      countProcesses: async () => 42,
      cpus: () => 8,
      totalMemory: () => 16 * GiB,
      hostname: () => 'h',
      networkInterfaces: () => ({}),
      kernelRelease: () => '6.1',
      platform: () => 'linux',
      arch: () => 'arm64',
    };
    const f = await readMachineFacts(
      { rootDir: '/var/lib/x', hostRoot: '/host', nodeIP: '10.1.1.1' },
      source,
    );
    expect(f).toMatchObject({
      cpuCores: 1,
      memoryBytes: 2 * GiB,
      memoryAvailableBytes: GiB,
      diskBytes: 4096000,
      diskAvailableBytes: 1024000,
      pidMax: 4194304,
      processes: 42,
      internalIP: '10.1.1.1',
      osImage: 'Test OS',
      machineID: 'mid',
      bootID: 'bid',
      architecture: 'arm64',
    });
  });
});

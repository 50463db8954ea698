// What the agent reads about the machine it runs on: CPU and memory (the smaller of the hardware and
// the agent's cgroup limits), the root dir's filesystem, process count, OS identity and the node's
// addresses. Every read goes through a small `MachineSource` so node-status logic is testable with
// made-up machines; `readMachineFacts()` is the real thing.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export interface MachineFacts {
  cpuCores: number;
  memoryBytes: number;
  memoryAvailableBytes: number;
  /** Filesystem holding rootDir. */
  diskBytes: number;
  diskAvailableBytes: number;
  pidMax: number;
  processes: number;
  hostname: string;
  internalIP: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  architecture: string;
  machineID: string;
  bootID: string;
}

export interface MachineSource {
  readText(path: string): Promise<string | undefined>;
  statfs(path: string): Promise<{ blocks: number; bavail: number; bsize: number }>;
  countProcesses(): Promise<number>;
  cpus(): number;
  totalMemory(): number;
  hostname(): string;
  networkInterfaces(): NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  kernelRelease(): string;
  platform(): string;
  arch(): string;
}

export const systemMachine: MachineSource = {
  async readText(path) {
    try {
      return await fs.readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  async statfs(path) {
    const s = await fs.statfs(path);
    return { blocks: s.blocks, bavail: s.bavail, bsize: s.bsize };
  },
  async countProcesses() {
    try {
      return (await fs.readdir('/proc')).filter((n) => /^\d+$/.test(n)).length;
    } catch {
      return 0;
    }
  },
  cpus: () => os.cpus().length,
  totalMemory: () => os.totalmem(),
  hostname: () => os.hostname(),
  networkInterfaces: () => os.networkInterfaces(),
  kernelRelease: () => os.release(),
  platform: () => os.platform(),
  arch: () => os.arch(),
};

/** Go's GOARCH names, which Kubernetes uses for `kubernetes.io/arch` and nodeInfo.architecture. */
export function goArch(nodeArch: string): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64' };
  return map[nodeArch] ?? nodeArch;
}

/** CPUs allowed by cgroup v2 `cpu.max` ("max 100000" / "200000 100000") or v1 CFS quota. */
export function cgroupCpuLimit(cpuMax?: string, v1Quota?: string, v1Period?: string): number | undefined {
  if (cpuMax) {
    const [quota, period] = cpuMax.trim().split(/\s+/);
    if (quota && quota !== 'max' && Number(period) > 0) return Number(quota) / Number(period);
    return undefined;
  }
  const q = Number(v1Quota);
  const p = Number(v1Period);
  return q > 0 && p > 0 ? q / p : undefined;
}

/** Bytes allowed by cgroup v2 `memory.max` or v1 `memory.limit_in_bytes` (huge values mean none). */
export function cgroupMemoryLimit(value?: string): number | undefined {
  const text = value?.trim();
  if (!text || text === 'max') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n < 2 ** 60 ? n : undefined;
}

export function meminfoValue(meminfo: string | undefined, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo ?? '');
  return m ? Number(m[1]) * 1024 : undefined;
}

/** PRETTY_NAME of an os-release file, as `kubectl get nodes -o wide` shows under OS-IMAGE. */
export function osImageFrom(osRelease: string | undefined): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease ?? '');
  if (!m?.[1]) return 'Unknown';
  return m[1].trim().replace(/^["']|["']$/g, '');
}

/** The interface of the default route, from /proc/net/route (destination 00000000). */
export function defaultRouteInterface(procNetRoute: string | undefined): string | undefined {
  for (const line of (procNetRoute ?? '').split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}

export function pickInternalIP(
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>,
  defaultInterface: string | undefined,
): string {
  const v4 = (name: string) =>
    (interfaces[name] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
  if (defaultInterface) {
    const ip = v4(defaultInterface);
    if (ip) return ip;
  }
  // No default route: the first non-loopback address that is not a container bridge.
  for (const name of Object.keys(interfaces).sort()) {
    if (/^(docker|br-|veth|flotilla|cni|virbr)/.test(name)) continue;
    const ip = v4(name);
    if (ip) return ip;
  }
  return '127.0.0.1';
}

export async function readMachineFacts(
  options: { rootDir: string; hostRoot?: string; nodeIP?: string },
  source: MachineSource = systemMachine,
): Promise<MachineFacts> {
  const host = options.hostRoot ?? '/';
  const [cpuMax, v1Quota, v1Period, memMax, memV1, meminfo, pidMax, osRelease, machineId, bootId, route] =
    await Promise.all([
      source.readText('/sys/fs/cgroup/cpu.max'),
      source.readText('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
      source.readText('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
      source.readText('/sys/fs/cgroup/memory.max'),
      source.readText('/sys/fs/cgroup/memory/memory.limit_in_bytes'),
      source.readText('/proc/meminfo'),
      source.readText('/proc/sys/kernel/pid_max'),
      source
        .readText(join(host, 'etc/os-release'))
        .then((t) => t ?? source.readText(join(host, 'usr/lib/os-release'))),
      source.readText(join(host, 'etc/machine-id')),
      source.readText('/proc/sys/kernel/random/boot_id'),
      source.readText('/proc/net/route'),
    ]);
  const hardwareCpus = source.cpus();
  const cpuLimit = cgroupCpuLimit(cpuMax, v1Quota, v1Period);
  const cpuCores = cpuLimit !== undefined ? Math.min(hardwareCpus, cpuLimit) : hardwareCpus;
  const hardwareMemory = meminfoValue(meminfo, 'MemTotal') ?? source.totalMemory();
  const memLimit = cgroupMemoryLimit(memMax) ?? cgroupMemoryLimit(memV1);
  const memoryBytes = memLimit !== undefined ? Math.min(hardwareMemory, memLimit) : hardwareMemory;
  const available = meminfoValue(meminfo, 'MemAvailable') ?? memoryBytes;
  const disk = await source.statfs(options.rootDir);
  return {
    cpuCores,
    memoryBytes,
    memoryAvailableBytes: Math.min(available, memoryBytes),
    diskBytes: disk.blocks * disk.bsize,
    diskAvailableBytes: disk.bavail * disk.bsize,
    pidMax: Number(pidMax?.trim()) || 32768,
    processes: await source.countProcesses(),
    hostname: source.hostname(),
    internalIP: options.nodeIP ?? pickInternalIP(source.networkInterfaces(), defaultRouteInterface(route)),
    kernelVersion: source.kernelRelease(),
    osImage: osImageFrom(osRelease),
    operatingSystem: source.platform(),
    architecture: goArch(source.arch()),
    machineID: machineId?.trim() ?? '',
    bootID: bootId?.trim() ?? '',
  };
}

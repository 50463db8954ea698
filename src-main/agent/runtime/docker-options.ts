// Runtime configs → Docker Engine create options. Pure, so what the agent asks the engine for is
// unit-tested without an engine.
import type Docker from 'dockerode';
import { dockerContainerName, LABEL, refLabels } from './labels';
import type { ContainerConfig, PortMapping, SandboxConfig } from './types';

/** kubelet's default: 10 MiB per file, a few files, so `kubectl logs` never reads an unbounded file. */
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };

function portKey(p: Pick<PortMapping, 'containerPort' | 'protocol'>): string {
  return `${p.containerPort}/${p.protocol.toLowerCase()}`;
}

export function sandboxCreateOptions(
  config: SandboxConfig,
  options: { nodeName: string; image: string; networkName: string; ip: string },
): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp?: string; HostPort: string }[]> = {};
  for (const p of config.portMappings) {
    const key = portKey(p);
    exposed[key] = {};
    if (p.hostPort > 0) {
      (bindings[key] ??= []).push({
        ...(p.hostIP ? { HostIp: p.hostIP } : {}),
        HostPort: String(p.hostPort),
      });
    }
  }
  return {
    name: dockerContainerName(config.ref),
    Image: options.image,
    Hostname: config.hostname.slice(0, 63),
    Labels: {
      ...refLabels(options.nodeName, config.ref),
      [LABEL.gracePeriod]: String(config.gracePeriodSeconds),
    },
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: options.networkName,
      PortBindings: bindings,
      // The pod's containers join this IPC namespace as well as the network namespace.
      IpcMode: 'shareable',
      RestartPolicy: { Name: 'no' },
      LogConfig: LOG_CONFIG,
    },
    NetworkingConfig: {
      EndpointsConfig: { [options.networkName]: { IPAMConfig: { IPv4Address: options.ip } } },
    },
  };
}

export function containerCreateOptions(
  config: ContainerConfig,
  options: { nodeName: string; sandboxId: string },
): Docker.ContainerCreateOptions {
  const binds = config.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
  const hostConfig: Docker.HostConfig = {
    NetworkMode: `container:${options.sandboxId}`,
    IpcMode: `container:${options.sandboxId}`,
    Privileged: config.privileged,
    ReadonlyRootfs: config.readOnlyRootfs,
    Binds: binds,
    RestartPolicy: { Name: 'no' },
    LogConfig: LOG_CONFIG,
  };
  if (config.capAdd.length) hostConfig.CapAdd = config.capAdd;
  if (config.capDrop.length) hostConfig.CapDrop = config.capDrop;
  if (config.nanoCpus) hostConfig.NanoCpus = config.nanoCpus;
  if (config.cpuShares) hostConfig.CpuShares = config.cpuShares;
  if (config.memoryBytes) {
    hostConfig.Memory = config.memoryBytes;
    hostConfig.MemorySwap = config.memoryBytes; // no swap beyond the limit, as Kubernetes
  }
  const opts: Docker.ContainerCreateOptions = {
    name: dockerContainerName(config.ref),
    Image: config.image,
    Env: config.env.map((e) => `${e.name}=${e.value}`),
    Labels: {
      ...refLabels(options.nodeName, config.ref),
      [LABEL.specHash]: config.specHash,
      [LABEL.gracePeriod]: String(config.gracePeriodSeconds),
    },
    Tty: config.tty,
    OpenStdin: config.stdin,
    StdinOnce: config.stdinOnce,
    HostConfig: hostConfig,
  };
  // Kubernetes `command` replaces the image's entrypoint (and with it the image's cmd); `args`
  // replaces the cmd only.
  if (config.entrypoint) opts.Entrypoint = config.entrypoint;
  if (config.cmd) opts.Cmd = config.cmd;
  else if (config.entrypoint) opts.Cmd = [];
  if (config.workingDir) opts.WorkingDir = config.workingDir;
  if (config.user) opts.User = config.user;
  return opts;
}

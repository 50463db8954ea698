import { describe, expect, it } from 'vitest';
import { failureStory, formatSeconds, parseClusterSettings, presetLabel } from './cluster-settings';

const cm = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'flotilla-cluster', namespace: 'kube-system' },
  data,
});

describe('cluster settings view', () => {
  it('reads the published keys and derives node and pod room', () => {
    const s = parseClusterSettings(
      cm({
        clusterCIDR: '10.244.0.0/16',
        nodeCIDRMaskSize: '24',
        serviceCIDR: '10.96.0.0/12',
        nodePortRange: '30000-32767',
        nodeMonitorGracePeriodSeconds: '20',
        defaultTolerationSeconds: '30',
        nodeTimingsPreset: 'desktop',
        dataDir: '/home/me/.config/Flotilla/cluster',
        version: '0.1.0',
      }),
    );
    expect(s).toEqual({
      clusterCIDR: '10.244.0.0/16',
      nodeCIDRMaskSize: 24,
      maxNodes: 256,
      podsPerNode: 254,
      serviceCIDR: '10.96.0.0/12',
      nodePortRange: '30000-32767',
      nodeMonitorGracePeriodSeconds: 20,
      defaultTolerationSeconds: 30,
      nodeTimingsPreset: 'desktop',
      dataDir: '/home/me/.config/Flotilla/cluster',
      version: '0.1.0',
    });
  });

  it('leaves out what is missing or malformed instead of showing nonsense', () => {
    expect(parseClusterSettings(undefined)).toBeUndefined();
    expect(parseClusterSettings(cm({}))).toEqual({});
    const s = parseClusterSettings(
      cm({ clusterCIDR: 'banana', nodeCIDRMaskSize: '-3', defaultTolerationSeconds: '30s', dataDir: '  ' }),
    )!;
    expect(s).toEqual({ clusterCIDR: 'banana' });
    // A node CIDR wider than the cluster's fits no node at all: say nothing rather than a fraction.
    expect(parseClusterSettings(cm({ clusterCIDR: '10.0.0.0/24', nodeCIDRMaskSize: '16' }))!.maxNodes).toBe(
      undefined,
    );
  });

  it('tells what happens when a machine goes away, in plain words', () => {
    expect(formatSeconds(20)).toBe('20 s');
    expect(formatSeconds(300)).toBe('5 min');
    expect(formatSeconds(90)).toBe('1 min 30 s');
    expect(formatSeconds(undefined)).toBe('—');
    expect(failureStory({ nodeMonitorGracePeriodSeconds: 40, defaultTolerationSeconds: 300 })).toBe(
      'So the pods of a machine that is switched off or drops off the network run on other nodes after ' +
        'about 5 min 40 s, plus the time to start them.',
    );
    expect(failureStory({ nodeMonitorGracePeriodSeconds: 40 })).toBeUndefined();
    expect(presetLabel('kubernetes')).toBe("Kubernetes' defaults");
    expect(presetLabel('something-new')).toBe('something-new');
  });
});

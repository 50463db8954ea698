// Pod builders shared by the agent's unit tests.
import type { Container, Pod } from './types';

export function makePod(
  name: string,
  containers: Partial<Container>[],
  extra: Partial<Pod['spec']> = {},
  uid = `uid-${name}`,
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid, labels: { app: name }, annotations: { note: 'n' } },
    spec: {
      nodeName: 'node-1',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: containers.map((c, i) => ({
        name: c.name ?? `c${i}`,
        image: 'flotilla.test/busybox:1',
        ...c,
      })),
      ...extra,
    },
  };
}

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kinds/types';
import { addDefaultTolerations } from './default-tolerations';

const pod = (tolerations?: unknown[]): KubeObject => ({
  kind: 'Pod',
  spec: { containers: [], ...(tolerations ? { tolerations } : {}) },
});

describe('default tolerations', () => {
  it('adds not-ready and unreachable NoExecute tolerations with the configured seconds', () => {
    const p = pod();
    addDefaultTolerations(p, 30);
    expect(p.spec!.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
    ]);
  });

  it("keeps the pod's own choice for a key", () => {
    const own = {
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 5,
    };
    const p = pod([own]);
    addDefaultTolerations(p, 30);
    expect(p.spec!.tolerations).toEqual([
      own,
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
  });

  it('adds nothing to a pod that tolerates every taint', () => {
    const p = pod([{ operator: 'Exists' }]);
    addDefaultTolerations(p, 30);
    expect(p.spec!.tolerations).toEqual([{ operator: 'Exists' }]);
  });
});

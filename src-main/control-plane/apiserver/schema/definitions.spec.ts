import { describe, expect, it } from 'vitest';
import { generateDefinitions } from '../../../../scripts/generate-openapi';
import { RESOURCES } from '../../../shared/resources';
import {
  allDefinitions,
  definitionForKind,
  definitionNameForKind,
  getDefinition,
  reachableDefinitions,
  refName,
  resolveSchema,
} from './definitions';

describe('definitions', () => {
  it('has a definition with its GVK for every served kind and list kind', () => {
    for (const r of RESOURCES) {
      for (const kind of [r.kind, r.listKind]) {
        const found = definitionForKind(r.group, r.version, kind);
        expect(found, `${r.group}/${r.version} ${kind}`).toBeDefined();
        expect(found!.name.endsWith(`.${kind}`)).toBe(true);
        expect(found!.schema['x-kubernetes-group-version-kind']).toContainEqual({
          group: r.group,
          version: r.version,
          kind,
        });
      }
    }
  });

  it('uses canonical Kubernetes names', () => {
    expect(definitionNameForKind('', 'v1', 'Pod')).toBe('io.k8s.api.core.v1.Pod');
    expect(definitionNameForKind('apps', 'v1', 'Deployment')).toBe('io.k8s.api.apps.v1.Deployment');
    expect(definitionNameForKind('', 'v1', 'Status')).toBe('io.k8s.apimachinery.pkg.apis.meta.v1.Status');
    expect(definitionNameForKind('autoscaling', 'v1', 'Scale')).toBe('io.k8s.api.autoscaling.v1.Scale');
    expect(definitionNameForKind('apps', 'v1', 'DeleteOptions')).toBe(
      'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
    );
    for (const name of [
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
      'io.k8s.apimachinery.pkg.api.resource.Quantity',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
      'io.k8s.apimachinery.pkg.runtime.RawExtension',
      'io.k8s.api.core.v1.PodTemplateSpec',
      'io.k8s.api.apps.v1.RollingUpdateDeployment',
      'io.k8s.api.discovery.v1.EndpointPort',
      'io.k8s.api.core.v1.EndpointPort',
    ]) {
      expect(getDefinition(name), name).toBeDefined();
    }
    expect(getDefinition('io.k8s.api.core.v1.Nope')).toBeUndefined();
    expect(getDefinition('toString')).toBeUndefined();
  });

  it('carries descriptions for kubectl explain', () => {
    const pod = getDefinition('io.k8s.api.core.v1.Pod')!;
    expect(pod.description).toMatch(/^Pod is a collection of containers/);
    expect(pod.properties!.metadata!.description).toMatch(/^Standard object's metadata/);
    const container = getDefinition('io.k8s.api.core.v1.Container')!;
    expect(container.properties!.image!.description).toMatch(/^Container image name/);
    expect(container.required).toEqual(['name']);
    expect(
      getDefinition('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta')!.properties!.continue!.description,
    ).toBeTruthy();
  });

  it('carries strategic merge patch and list metadata from the Go struct tags', () => {
    const podSpec = getDefinition('io.k8s.api.core.v1.PodSpec')!.properties!;
    expect(podSpec.containers).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(podSpec.volumes!['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(podSpec.tolerations!['x-kubernetes-list-type']).toBe('atomic');
    expect(podSpec.tolerations!['x-kubernetes-patch-strategy']).toBeUndefined();
    const container = getDefinition('io.k8s.api.core.v1.Container')!.properties!;
    expect(container.ports!['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(container.ports!['x-kubernetes-list-map-keys']).toEqual(['containerPort', 'protocol']);
    expect(container.volumeMounts!['x-kubernetes-patch-merge-key']).toBe('mountPath');
    const meta = getDefinition('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')!.properties!;
    expect(meta.finalizers).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'set',
    });
    expect(meta.ownerReferences!['x-kubernetes-patch-merge-key']).toBe('uid');
    expect(
      getDefinition('io.k8s.api.core.v1.ServiceSpec')!.properties!.ports!['x-kubernetes-patch-merge-key'],
    ).toBe('port');
    expect(
      getDefinition('io.k8s.api.apps.v1.DeploymentSpec')!.properties!.strategy![
        'x-kubernetes-patch-strategy'
      ],
    ).toBe('retainKeys');
    for (const status of [
      'core.v1.PodStatus',
      'core.v1.NodeStatus',
      'core.v1.NamespaceStatus',
      'apps.v1.DeploymentStatus',
      'apps.v1.ReplicaSetStatus',
      'apps.v1.DaemonSetStatus',
    ]) {
      expect(
        getDefinition(`io.k8s.api.${status}`)!.properties!.conditions!['x-kubernetes-patch-merge-key'],
        status,
      ).toBe('type');
    }
  });

  it('types the special Kubernetes types', () => {
    const requirements = getDefinition('io.k8s.api.core.v1.ResourceRequirements')!.properties!;
    expect(requirements.limits!.additionalProperties).toEqual({
      $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity',
    });
    const servicePort = getDefinition('io.k8s.api.core.v1.ServicePort')!.properties!;
    expect(resolveSchema(servicePort.targetPort!)!['x-kubernetes-int-or-string']).toBe(true);
    const meta = getDefinition('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')!.properties!;
    expect(resolveSchema(meta.creationTimestamp!)).toMatchObject({ type: 'string', format: 'date-time' });
    expect(meta.labels).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(getDefinition('io.k8s.api.core.v1.Secret')!.properties!.data!.additionalProperties).toEqual({
      type: 'string',
      format: 'byte',
    });
  });

  it('resolves every $ref, and computes closures', () => {
    const all = Object.keys(allDefinitions());
    expect(reachableDefinitions(all)).toEqual([...all].sort());
    const podClosure = reachableDefinitions(['io.k8s.api.core.v1.Pod']);
    expect(podClosure).toContain('io.k8s.api.core.v1.Container');
    expect(podClosure).toContain('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(podClosure).not.toContain('io.k8s.api.apps.v1.Deployment');
    expect(refName('#/definitions/io.k8s.api.core.v1.Pod')).toBe('io.k8s.api.core.v1.Pod');
  });

  it('is what scripts/generate-openapi.ts generates (regenerate after changing RESOURCES or the script)', async () => {
    const generated = await generateDefinitions();
    expect(JSON.parse(JSON.stringify(generated))).toEqual(allDefinitions());
  });
});

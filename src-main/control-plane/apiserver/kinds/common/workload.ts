// What ReplicaSets, Deployments and DaemonSets share: a required, non-empty selector that must match the pod
// template's labels, a template whose restartPolicy is Always, and an immutable selector (apps/v1).
import { labelSelectorFromObject, matchesLabels, type LabelSelectorObject } from '../../../../shared/labels';
import type { StatusCause } from '../../../../shared/status';
import { FieldPath, invalid, notSupported, required, validateImmutable } from './field';
import { isEmptySelector, validateLabelSelector } from './labelselector';
import { validatePodTemplateSpec } from './podspec';
import { rec, strMap, type Json } from './util';

export const SPEC = FieldPath.root('spec');

/** The selector checks of ValidateDeploymentSpec / ValidateReplicaSetSpec / ValidateDaemonSetSpec. */
export function validateSelector(spec: Json, kindWord: string): StatusCause[] {
  const out: StatusCause[] = [];
  const selector = spec.selector;
  if (selector === undefined || selector === null) {
    out.push(required(SPEC.child('selector')));
    return out;
  }
  out.push(...validateLabelSelector(selector, SPEC.child('selector')));
  if (isEmptySelector(selector))
    out.push(invalid(SPEC.child('selector'), selector, `empty selector is invalid for ${kindWord}`));
  return out;
}

/** ValidatePodTemplateSpecForReplicaSet (also what DaemonSets check): labels match, restartPolicy Always. */
export function validateTemplate(spec: Json, kindName: string): StatusCause[] {
  const out: StatusCause[] = [];
  const templatePath = SPEC.child('template');
  const template = rec(spec.template);
  if (!template) return [required(templatePath)];
  let selectorOk = true;
  try {
    const sel = labelSelectorFromObject(rec(spec.selector) as LabelSelectorObject | undefined);
    const labels = strMap(rec(template.metadata)?.labels);
    if (!sel.nothing && sel.requirements.length > 0 && !matchesLabels(sel, labels)) {
      out.push(
        invalid(
          templatePath.child('metadata', 'labels'),
          labels,
          '`selector` does not match template `labels`',
        ),
      );
    }
  } catch {
    selectorOk = false;
  }
  if (!selectorOk && spec.selector)
    out.push(invalid(SPEC.child('selector'), spec.selector, 'invalid label selector'));
  out.push(...validatePodTemplateSpec(template, templatePath));
  const podSpec = rec(template.spec) ?? {};
  if (podSpec.restartPolicy !== 'Always') {
    out.push(
      notSupported(templatePath.child('spec', 'restartPolicy'), podSpec.restartPolicy ?? '', ['Always']),
    );
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    out.push(
      invalid(
        templatePath.child('spec', 'activeDeadlineSeconds'),
        podSpec.activeDeadlineSeconds,
        `activeDeadlineSeconds in ${kindName} is not Supported`,
      ),
    );
  }
  return out;
}

export function validateSelectorImmutable(spec: Json, oldSpec: Json): StatusCause[] {
  return validateImmutable(spec.selector, oldSpec.selector, SPEC.child('selector'));
}

export function int(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

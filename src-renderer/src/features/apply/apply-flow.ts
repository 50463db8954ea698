// Apply as a person expects it: every object is checked first (locally, then by the server with a
// dry run), and only when every one passes is anything written. Results come back per object, with
// the server's field errors placed on the lines they are about.
import type { KubeApiError } from '../../../../src-main/shared/kube/types';
import { isKubeApiError } from '../../../../src-main/shared/kube/types';
import { formatCause } from '../../../../src-main/shared/status';
import { parseManifest } from './manifest';
import type { ManifestObject, ManifestProblem } from './manifest';

export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** What the API layer provides: create-or-patch of one object, optionally as a server-side dry run. */
export interface Applier {
  apply(obj: ManifestObject, dryRun: boolean): Promise<ApplyAction>;
}

export interface ObjectResult {
  index: number;
  label: string;
  line: number;
  /** What happened (or, after a dry run only, what would happen). */
  action?: ApplyAction;
  problems: ManifestProblem[];
}

export interface ApplyOutcome {
  /** 'invalid': not sent; 'rejected': the dry run refused something, nothing written; 'applied'/'checked'. */
  stage: 'invalid' | 'rejected' | 'checked' | 'applied' | 'partial';
  problems: ManifestProblem[];
  results: ObjectResult[];
}

export function problemsFromError(obj: ManifestObject, err: unknown): ManifestProblem[] {
  if (!isKubeApiError(err)) {
    return [
      { line: obj.line, column: 1, message: (err as Error)?.message ?? String(err), objectIndex: obj.index },
    ];
  }
  const status = (err as KubeApiError).status;
  const causes = status.details?.causes ?? [];
  if (causes.length === 0) {
    return [
      { line: obj.line, column: 1, message: status.message ?? `HTTP ${err.code}`, objectIndex: obj.index },
    ];
  }
  return causes.map((cause) => ({
    line: cause.field ? obj.lineOf(cause.field) : obj.line,
    column: 1,
    message: formatCause(cause),
    objectIndex: obj.index,
  }));
}

export async function runApply(
  text: string,
  applier: Applier,
  options: { dryRunOnly?: boolean } = {},
): Promise<ApplyOutcome> {
  const parsed = parseManifest(text);
  if (parsed.problems.length > 0) return { stage: 'invalid', problems: parsed.problems, results: [] };
  if (parsed.objects.length === 0) {
    return {
      stage: 'invalid',
      problems: [{ line: 1, column: 1, message: 'Nothing to apply: write or paste a manifest first.' }],
      results: [],
    };
  }

  const checks: ObjectResult[] = [];
  for (const obj of parsed.objects) {
    try {
      const action = await applier.apply(obj, true);
      checks.push({ index: obj.index, label: obj.label, line: obj.line, action, problems: [] });
    } catch (err) {
      checks.push({
        index: obj.index,
        label: obj.label,
        line: obj.line,
        problems: problemsFromError(obj, err),
      });
    }
  }
  const rejected = checks.some((c) => c.problems.length > 0);
  const allProblems = () => checks.flatMap((c) => c.problems).sort((a, b) => a.line - b.line);
  if (rejected) return { stage: 'rejected', problems: allProblems(), results: checks };
  if (options.dryRunOnly) return { stage: 'checked', problems: [], results: checks };

  const results: ObjectResult[] = [];
  for (const obj of parsed.objects) {
    try {
      const action = await applier.apply(obj, false);
      results.push({ index: obj.index, label: obj.label, line: obj.line, action, problems: [] });
    } catch (err) {
      // Passed its dry run but failed now (someone changed it in between): say so, keep going.
      results.push({
        index: obj.index,
        label: obj.label,
        line: obj.line,
        problems: problemsFromError(obj, err),
      });
    }
  }
  const failed = results.some((r) => r.problems.length > 0);
  return {
    stage: failed ? 'partial' : 'applied',
    problems: results.flatMap((r) => r.problems),
    results,
  };
}

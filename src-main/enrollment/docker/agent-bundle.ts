// The agent bundle (`dist/agent/agent.mjs`, one self-contained ES module made by
// scripts/build-agent.ts): found where a checkout or a packaged app keeps it, and built when a
// checkout does not have it yet.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EnrollmentError } from './errors';

const run = promisify(execFile);

const repoRoot = () => fileURLToPath(new URL('../../../', import.meta.url));

/** Where the bundle may be: a checkout's dist/, or the app's resources/ (packaged). */
export function bundleCandidates(root = repoRoot()): string[] {
  return [`${root}dist/agent/agent.mjs`, `${root}resources/agent/agent.mjs`];
}

export async function ensureAgentBundle(
  options: { log?: (line: string) => void; root?: string } = {},
): Promise<string> {
  const root = options.root ?? repoRoot();
  // A bundle built elsewhere (CI artifacts, a development build): used as is.
  const override = process.env.FLOTILLA_AGENT_BUNDLE;
  if (override) {
    if (!existsSync(override))
      throw new EnrollmentError('BundleMissing', `FLOTILLA_AGENT_BUNDLE=${override} does not exist`);
    return override;
  }
  const found = bundleCandidates(root).find((p) => existsSync(p));
  if (found) return found;
  const script = `${root}scripts/build-agent.ts`;
  if (!existsSync(script))
    throw new EnrollmentError('BundleMissing', `the agent bundle is not built and ${script} is missing`);
  options.log?.('building the agent bundle (scripts/build-agent.ts)');
  try {
    await run(process.execPath, ['--import', 'tsx', script], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new EnrollmentError(
      'BundleMissing',
      `building the agent bundle failed: ${(e.stderr || e.message).trim()}`,
      { cause: err },
    );
  }
  const built = bundleCandidates(root).find((p) => existsSync(p));
  if (!built)
    throw new EnrollmentError(
      'BundleMissing',
      `scripts/build-agent.ts ran but no bundle is at ${bundleCandidates(root)[0]}`,
    );
  return built;
}

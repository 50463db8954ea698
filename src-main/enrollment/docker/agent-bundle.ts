// The agent bundle (`dist/agent/agent.mjs`, one self-contained ES module made by
// scripts/build-agent.ts): found where a checkout or a packaged app keeps it, and built when a
// checkout does not have it yet or its sources changed since (a stale agent would be pushed to
// machines otherwise). A packaged app's bundle is used as is.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
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
  const [built, packaged] = bundleCandidates(root);
  const script = `${root}scripts/build-agent.ts`;
  const checkout = existsSync(script);
  if (existsSync(built!) && !(checkout && (await sourcesNewerThan(root, built!)))) return built!;
  if (!checkout) {
    if (existsSync(packaged!)) return packaged!;
    throw new EnrollmentError('BundleMissing', `the agent bundle is not built and ${script} is missing`);
  }
  options.log?.('building the agent bundle (scripts/build-agent.ts)');
  // Built beside and renamed into place: a concurrent reader never sees half a file.
  const partial = `${built!}.${process.pid}.partial`;
  try {
    await run(process.execPath, ['--import', 'tsx', script, '--outfile', partial], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
    await rename(partial, built!);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new EnrollmentError(
      'BundleMissing',
      `building the agent bundle failed: ${(e.stderr || e.message).trim()}`,
      { cause: err },
    );
  }
  return built!;
}

/** The folders the agent is built from (scripts/build-agent.ts bundles src-main/agent/main.ts). */
const AGENT_SOURCES = ['src-main/agent', 'src-main/shared'];

/** Whether any agent source file changed after the bundle was written. */
export async function sourcesNewerThan(root: string, bundle: string): Promise<boolean> {
  const builtAt = (await stat(bundle)).mtimeMs;
  const newer = async (dir: string): Promise<boolean> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (await newer(p)) return true;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) {
        if ((await stat(p)).mtimeMs > builtAt) return true;
      }
    }
    return false;
  };
  for (const dir of AGENT_SOURCES) if (await newer(path.join(root, dir))) return true;
  return false;
}

// Bundles the agent into one self-contained ES module, dist/agent/agent.mjs, that runs with plain
// `node` (>= 20) on a machine that has nothing of the app: dockerode, ws and the shared client are
// inside; only Node built-ins are imported. Prints the bundle's size.
//   npx tsx scripts/build-agent.ts [--outfile PATH]
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--outfile');
const outfile =
  outArg > 0 && process.argv[outArg + 1]
    ? resolve(process.argv[outArg + 1]!)
    : join(root, 'dist/agent/agent.mjs');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };

const result = await build({
  entryPoints: [join(root, 'src-main/agent/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  legalComments: 'none',
  sourcemap: false,
  metafile: true,
  define: { __FLOTILLA_AGENT_VERSION__: JSON.stringify(pkg.version) },
  // dockerode's SSH transport (ssh2) tries optional native add-ons inside try/catch; the agent talks
  // to a local socket or TCP, so they are left out and the pure-JS fallbacks are used.
  external: ['cpu-features', '*.node'],
  // dockerode's transport loads ssh2 for ssh:// Docker hosts, which the agent never uses; the real
  // package costs ~17 MB of RSS at load (a 16 MiB WebAssembly memory), so a refusing stub stands in.
  alias: { ssh2: join(root, 'src-main/agent/runtime/ssh2-stub.ts') },
  // The CommonJS dependencies call require() for built-ins and read __dirname; an ES module has
  // neither, so define them. (__dirname only matters for dockerode's BuildKit protos, never loaded.)
  banner: {
    js: [
      "import { createRequire as __flotillaCreateRequire } from 'node:module';",
      "import { fileURLToPath as __flotillaFileURLToPath } from 'node:url';",
      'const require = __flotillaCreateRequire(import.meta.url);',
      'const __filename = __flotillaFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  logLevel: 'warning',
});

const inputs = Object.keys(result.metafile.inputs);
const forbidden = inputs.filter((p) =>
  /better-sqlite3|src-main\/(control-plane|cli|app|enrollment|platform)\//.test(p),
);
if (forbidden.length) {
  console.error(`build-agent: the bundle must not contain ${forbidden.join(', ')}`);
  process.exit(1);
}
const size = (await stat(outfile)).size;
const packages = new Set(
  inputs.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean),
);
console.log(
  `build-agent: ${outfile} ${(size / 1024 / 1024).toFixed(2)} MiB (${size} bytes), ${inputs.length} inputs, packages: ${[...packages].sort().join(', ')}`,
);

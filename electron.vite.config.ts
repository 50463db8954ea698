// The desktop build (`electron-vite build`): the main process and the preload from src-main, and the
// renderer exactly as `npm run build:ui` builds it — its config is imported, not copied, so the
// browser-served UI and the desktop UI are one bundle.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { mergeConfig } from 'vite';
import type { UserConfig as ViteUserConfig } from 'vite';
import rendererConfig from './vite.renderer.config';

const root = fileURLToPath(new URL('.', import.meta.url));
const r = (path: string) => resolve(root, path);

/**
 * The renderer config minus its Vitest section (no build reads it), plus the one thing electron-vite
 * insists on having spelled out: the HTML entry, which plain Vite takes from `root`.
 */
function rendererBuildConfig(config: ViteUserConfig & { test?: unknown }): ViteUserConfig {
  const { test: _test, ...rest } = config;
  return mergeConfig(rest, {
    build: { rolldownOptions: { input: { index: r('src-renderer/index.html') } } },
  });
}

export default defineConfig({
  main: {
    build: {
      outDir: r('out/main'),
      // Dependencies stay in node_modules (electron-builder ships the production ones): native
      // better-sqlite3 must, and the rest keeps the bundle small.
      externalizeDeps: true,
      sourcemap: true,
      rolldownOptions: {
        input: {
          index: r('src-main/app/main.ts'),
          // The SQLite store writes from a worker thread that loads this file next to index.js.
          'sqlite-worker': r('src-main/control-plane/store/sqlite-worker.ts'),
        },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: r('out/preload'),
      // A sandboxed preload cannot load ES modules or other files: one CommonJS file, deps inlined.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: r('src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: rendererBuildConfig(rendererConfig as ViteUserConfig & { test?: unknown }),
});

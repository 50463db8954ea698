// Builds the Vue renderer (src-renderer) into out/renderer. The same bundle is loaded by the desktop
// shell and served to browsers under /ui/ by the API server, so asset URLs are relative ('./').
/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src-renderer', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The CSP forbids inline scripts: keep everything in files, including the preload helper.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['src-renderer/**/*.spec.ts'],
    environment: 'happy-dom',
  },
});

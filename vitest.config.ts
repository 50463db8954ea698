import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Renderer component specs import .vue files.
  plugins: [vue()],
  test: {
    include: ['src-main/**/*.spec.ts', 'src-renderer/**/*.spec.ts', 'tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start real servers and processes; two workers match the 2-core CI machine.
    maxWorkers: 2,
  },
});

// Lint rules, including the module boundaries from DESIGN.md: the build fails when a folder imports
// what its layer must not know about.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electron = { name: 'electron', message: 'Only src-main/app and src-main/preload may import electron.' };
const sshDocker = [
  {
    name: 'ssh2',
    message: 'The control plane never talks SSH; enrollment transports do (DESIGN.md boundary 3).',
  },
  { name: 'dockerode', message: 'The control plane never talks to Docker; enrollment and the agent do.' },
];
const x509Direct = {
  name: '@peculiar/x509',
  message:
    'Import it from apiserver/pki/x509: that module loads the Reflect polyfill the library needs first.',
};
const storePattern = {
  group: ['**/control-plane/store', '**/control-plane/store/*', '**/store/*', '../store', '../../store'],
  message: 'Only the API server touches the store (DESIGN.md boundary 2); use the client and informers.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'bench-results/**',
      'test-output/**',
      'src-renderer/**/*.vue',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src-main/shared/**/*.ts'],
    ignores: ['src-main/shared/node/**', 'src-main/shared/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!\\.{1,2}/)', message: 'shared/ is the contract: it imports nothing but shared/.' },
            {
              group: ['**/node/*'],
              message: 'shared/node/ is Node-only: shared code the renderer may load cannot use it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Node-only halves of shared code (e.g. the https transport): shared/ plus Node built-ins.
    files: ['src-main/shared/node/**/*.ts'],
    ignores: ['src-main/shared/node/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.{1,2}/|node:)',
              message: 'shared/node/ imports only shared/ and node: built-ins.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/control-plane/**/*.ts'],
    ignores: [
      'src-main/control-plane/apiserver/**',
      'src-main/control-plane/store/**',
      'src-main/control-plane/index.ts',
      'src-main/control-plane/**/*.spec.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { paths: [electron, ...sshDocker], patterns: [storePattern] }],
    },
  },
  {
    files: [
      'src-main/control-plane/apiserver/**/*.ts',
      'src-main/control-plane/store/**/*.ts',
      'src-main/control-plane/index.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { paths: [electron, ...sshDocker, x509Direct] }] },
  },
  {
    files: ['src-main/control-plane/apiserver/pki/x509.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [electron, ...sshDocker] }] },
  },
  {
    files: ['src-main/enrollment/**/*.ts', 'src-main/cli/**/*.ts', 'src-main/platform/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [electron] }] },
  },
  {
    files: ['src-main/agent/**/*.ts'],
    ignores: ['src-main/agent/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            {
              group: ['**/control-plane/**', '**/enrollment/**', '**/cli/**', '**/app/**', '**/platform/**'],
              message:
                'The agent runs on machines that have none of the app: it imports only shared/ and its own code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            {
              group: ['**/src-main/**', '!**/src-main/shared', '!**/src-main/shared/**'],
              message: 'The renderer imports only src-main/shared (DESIGN.md boundary 4).',
            },
            {
              group: ['**/shared/node', '**/shared/node/**'],
              message: 'shared/node/ is Node-only: it cannot run in the renderer.',
            },
          ],
        },
      ],
    },
  },
);

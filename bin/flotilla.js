#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on load so `npx flotilla` works straight after `npm install`.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli/main.ts');

#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx (as the repository's scripts do): no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// React's production build unless told otherwise: the development one costs a third more CPU per message.
process.env.NODE_ENV ??= 'production';
// The package's tsconfig (automatic JSX runtime), wherever the command is started from.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/main.tsx');

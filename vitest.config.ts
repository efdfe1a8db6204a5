import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Projects: pure unit tests once, every storage/API test twice, once against each real
 * database engine (SQLite file; PostgreSQL at TEST_DATABASE_URL), the tests of what several
 * nodes share once, against Redis (TEST_REDIS_URL) and PostgreSQL, and the smoke suite, which
 * starts the real `npm start` (so it needs `npm run build` first) and checks it from outside.
 */
const serverTests = ['packages/server/src/**/*.test.ts'];
const unitTests = ['packages/*/src/**/*.unit.test.ts', 'scripts/**/*.unit.test.ts', 'deploy/**/*.unit.test.ts', 'bench/**/*.unit.test.ts'];
/** Web client logic that needs a DOM (sanitising, rendering) runs in happy-dom. */
const webUnitTests = ['packages/web/src/**/*.unit.test.ts'];
const redisTests = ['packages/server/src/**/*.redis.test.ts'];
/** Outside the other projects' globs: only `--project smoke` runs them. */
const smokeTests = ['smoke/**/*.smoke.test.ts'];
/** The terminal client in tmux against the built server (`npm run build` first); only `--project tui`. */
const tuiTests = ['packages/tui/test/**/*.tui.test.ts'];

export default defineConfig({
  test: {
    projects: [
      // extends: projects inherit the root options below (timeouts). Unit tests keep no state
      // between files either (vi.mock is undone per file), so a worker keeps its imports and its
      // DOM: setting them up again for every file took three quarters of these projects' time.
      { extends: true, test: { name: 'unit', include: unitTests, exclude: webUnitTests, isolate: false } },
      { extends: true, test: { name: 'web', include: webUnitTests, environment: 'happy-dom', isolate: false } },
      // The server's tests share no module state (each starts its own server and storage), so a
      // worker keeps the modules it imported for the next file instead of importing them all again.
      { extends: true, test: { name: 'sqlite', include: serverTests, exclude: [...unitTests, ...redisTests], env: { PARLEY_TEST_DB: 'sqlite' }, isolate: false } },
      { extends: true, test: { name: 'postgres', include: serverTests, exclude: [...unitTests, ...redisTests], env: { PARLEY_TEST_DB: 'postgres' }, isolate: false } },
      { extends: true, test: { name: 'redis', include: redisTests, env: { PARLEY_TEST_DB: 'postgres' }, isolate: false } },
      // Each file starts its own `npm start` in beforeAll, which may take a while on a busy machine.
      { extends: true, test: { name: 'smoke', include: smokeTests, hookTimeout: 60_000 } },
      { extends: true, test: { name: 'tui', include: tuiTests, hookTimeout: 60_000 } },
    ],
    // At least two files at a time (vitest's default is one fewer than the cores: one on two). Most
    // server test files wait on their databases and servers, so a second one fills the other core.
    // Each file has its own server, data directory, PostgreSQL schema and Redis prefix.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});

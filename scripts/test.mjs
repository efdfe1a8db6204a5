// `npm test`: the whole suite, ending with one line that counts the tests run against each real
// component and one with how long each step took. Steps: build; then typecheck, lint (eslint +
// knip), format check (prettier) and vitest (unit + every storage/API test on SQLite and on
// PostgreSQL + the multi-node tests on Redis and PostgreSQL), all at once; the smoke suite (the real
// `npm start` on the build, checked over HTTP and WebSocket from outside), the terminal client in
// tmux against the built server, Playwright in Debian Chromium against the built app, then the
// call specs (fake media, coturn) on loopback only.
//
// PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), Redis
// (TEST_REDIS_URL, default redis://127.0.0.1:6379) and Chromium (CHROMIUM_PATH, default
// /usr/bin/chromium) are required in CI (CI=true). On a laptop without them, their tests are
// skipped with a warning and the summary shows 0 for them.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';

const inCi = Boolean(process.env.CI);
const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const failures = [];
/** How long each step took, printed at the end: CI must stay under 30 minutes. */
const durations = [];

/** Busy and idle CPU milliseconds over all cores so far (os.cpus()). */
function cpuTimes() {
  let busy = 0;
  let idle = 0;
  for (const { times } of os.cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    idle += times.idle;
  }
  return { busy, idle };
}

/** How busy the machine's cores were since `from` (a cpuTimes()): whether a step waits or computes. */
function busySince(from) {
  const now = cpuTimes();
  const busy = now.busy - from.busy;
  const total = busy + now.idle - from.idle;
  return total > 0 ? `${Math.round((100 * busy) / total)} % CPU` : '';
}

function step(name, command, args, env = {}) {
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const cpu = cpuTimes();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  durations.push(`${name} ${Math.round((Date.now() - started) / 1000)} s (${busySince(cpu)})`);
  if (result.status !== 0) failures.push(name);
  return result.status === 0;
}

/** Runs steps at once; each one's output is printed, whole, when it ends. Resolves with which passed. */
function concurrentSteps(list) {
  const started = Date.now();
  const cpu = cpuTimes();
  return Promise.all(
    list.map(
      ([name, command, args, env = {}]) =>
        new Promise((resolve) => {
          const child = spawn(command, args, { env: { ...process.env, ...env } });
          const output = [];
          child.stdout.on('data', (chunk) => output.push(chunk));
          child.stderr.on('data', (chunk) => output.push(chunk));
          child.on('close', (status) => {
            console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
            process.stdout.write(Buffer.concat(output));
            durations.push(`${name} ${Math.round((Date.now() - started) / 1000)} s (${busySince(cpu)})`);
            if (status !== 0) failures.push(name);
            resolve(status === 0);
          });
        }),
    ),
  );
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisReachable() {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

fs.rmSync('.test-output', { recursive: true, force: true });
const havePostgres = await postgresReachable();
const haveRedis = await redisReachable();
const haveChromium = fs.existsSync(chromium);
const services = [
  [havePostgres, `PostgreSQL at ${pgUrl}`],
  [haveRedis, `Redis at ${redisUrl}`],
  [haveChromium, `Chromium at ${chromium}`],
];
for (const [have, what] of services) {
  if (have) continue;
  if (inCi) failures.push(`${what} is required in CI but missing`);
  else console.warn(`⚠ ${what} is not available: its tests are skipped (CI requires it).`);
}

// The server's tests serve the built web client, as `npm start` does: the build comes first.
const built = step('build', 'npm', ['run', '--silent', 'build']);
// The multi-node tests run their nodes on PostgreSQL, so they need both.
const projects = ['unit', 'web', 'sqlite', ...(havePostgres ? ['postgres'] : []), ...(havePostgres && haveRedis ? ['redis'] : [])].flatMap((p) => ['--project', p]);
// Independent of each other; together they keep both cores busy (the checks take one each, and
// vitest about one: its tests mostly wait on their servers and databases).
await concurrentSteps([
  ['typecheck', 'npm', ['run', '--silent', 'typecheck']],
  ['lint', 'npm', ['run', '--silent', 'lint']],
  ['format', 'npm', ['run', '--silent', 'format:check']],
  ['vitest', 'npx', ['vitest', 'run', ...projects, '--reporter=default', '--reporter=./scripts/count-reporter.ts'], { TEST_DATABASE_URL: pgUrl, TEST_REDIS_URL: redisUrl }],
]);
// Runs the build (`npm start`), so only after a successful one; in CI a skipped or empty smoke
// step fails the run below ("no tests ran against npm start smoke").
if (built) step('smoke', 'npx', ['vitest', 'run', '--project', 'smoke', '--reporter=default', '--reporter=./scripts/count-reporter.ts']);
// The terminal client driven in tmux against the built server (the test runs the client with CI
// unset: ink draws nothing until exit under CI=true).
const haveTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
if (!haveTmux) {
  if (inCi) failures.push('tmux is required in CI but missing');
  else console.warn('⚠ tmux is not available: the terminal client test is skipped (CI requires it).');
}
if (built && haveTmux) step('terminal client', 'npx', ['vitest', 'run', '--project', 'tui', '--reporter=default', '--reporter=./scripts/count-reporter.ts']);
if (haveChromium && built) {
  const callSpecs = callSpecsCommand();
  step('playwright', 'npx', ['playwright', 'test'], { CHROMIUM_PATH: chromium });
  // The 2 GiB peer-to-peer transfer (tagged @big) is `npm run test:big`: Chromium's data channel
  // is CPU-bound here and it would add 10 minutes or more to a run that must stay under 30.
  step('playwright calls', ...callSpecs('--grep-invert @big'), { CHROMIUM_PATH: chromium });
}

// Each vitest run's counts (scripts/count-reporter.ts), added up per project.
const vitestCounts = {};
for (const file of fs.existsSync('.test-output/vitest-counts') ? fs.readdirSync('.test-output/vitest-counts') : []) {
  for (const [project, count] of Object.entries(readJson(`.test-output/vitest-counts/${file}`) ?? {})) {
    const total = (vitestCounts[project] ??= { passed: 0, failed: 0, skipped: 0 });
    for (const key of Object.keys(total)) total[key] += count[key];
  }
}
const e2e = readJson('.test-output/e2e-results.json')?.stats;
const e2eCalls = readJson('.test-output/e2e-calls-results.json')?.stats;
const ranInChromium = (stats) => (stats ? stats.expected + stats.unexpected + stats.flaky : 0);
const ran = (project) => (vitestCounts[project] ? vitestCounts[project].passed + vitestCounts[project].failed : 0);
const components = {
  SQLite: ran('sqlite'),
  PostgreSQL: ran('postgres'),
  Redis: ran('redis'),
  'npm start smoke': ran('smoke'),
  'tmux terminal': ran('tui'),
  Chromium: ranInChromium(e2e) + ranInChromium(e2eCalls),
};
if (inCi) for (const [name, count] of Object.entries(components)) if (count === 0) failures.push(`no tests ran against ${name}`);

// Vitest's failures again, one line each, where a log cut to its tail still shows them.
const problems = fs.existsSync('.test-output/vitest-problems.txt') ? fs.readFileSync('.test-output/vitest-problems.txt', 'utf8').trim() : '';
if (problems) console.log(`\nVitest problems:\n${problems}`);
console.log(`\nStep times: ${durations.join(', ')}`);
console.log(failures.length ? `\n✗ failed: ${failures.join('; ')}` : '\n✓ all steps passed');
console.log(
  `Tests against real components: ${Object.entries(components)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ')} (plus ${ran('unit') + ran('web')} unit tests)`,
);
process.exit(failures.length ? 1 : 0);

/**
 * The call specs run in a fresh network namespace with only loopback up, so ICE gathers nothing
 * but 127.0.0.1 (as on a CI box with no network) and their ports cannot collide with anything
 * (two runs at once each have their own). `unshare -n` needs root (or user namespaces); without
 * it they run in the host's namespace. Returns the [command, args] of a run with extra flags.
 */
function callSpecsCommand() {
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  if (probe.status !== 0) console.warn('⚠ unshare -n failed: the call specs run in the host network namespace.');
  return (flags) => {
    const playwright = `npx playwright test -c playwright.calls.config.ts ${flags}`;
    return probe.status === 0 ? ['unshare', ['-n', 'sh', '-c', `ip link set lo up && ${playwright}`]] : ['sh', ['-c', playwright]];
  };
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

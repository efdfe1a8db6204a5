import fs from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

const COUNTS_FILE = '.test-output/vitest-counts.json';

/**
 * Counts tests per vitest project (unit, sqlite, postgres, redis, smoke) into
 * .test-output/vitest-counts.json, so the test summary can say how many ran against each real
 * component. `npm test` runs vitest more than once (the smoke suite needs the build), so each run
 * merges its projects into the file: a project it ran replaces that project's earlier count,
 * the others are kept.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts: Record<string, { passed: number; failed: number; skipped: number }> = {};
    for (const module of testModules) {
      const project = (counts[module.project.name] ??= { passed: 0, failed: 0, skipped: 0 });
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') project.passed++;
        else if (state === 'failed') project.failed++;
        else project.skipped++;
      }
    }
    fs.mkdirSync('.test-output', { recursive: true });
    fs.writeFileSync(COUNTS_FILE, JSON.stringify({ ...readCounts(), ...counts }, null, 2));
  }
}

function readCounts(): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(COUNTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

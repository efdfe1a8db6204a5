import fs from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Counts tests per vitest project (unit, sqlite, postgres, redis) into .test-output/vitest-counts.json,
 * so the test summary can say how many ran against each real component.
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
    fs.writeFileSync('.test-output/vitest-counts.json', JSON.stringify(counts, null, 2));
  }
}

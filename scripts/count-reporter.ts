import fs from 'node:fs';
import path from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/** One file per vitest run: `npm test` runs several at once, and each must not write over another's. */
const COUNTS_DIR = '.test-output/vitest-counts';
/** What went wrong, one line each, for the summary at the end of `npm test` (CI shows only the log's tail). */
const PROBLEMS_FILE = '.test-output/vitest-problems.txt';

/**
 * Counts tests per vitest project (unit, sqlite, postgres, redis, smoke, tui) into a file of the
 * run's own under .test-output/vitest-counts/, so the test summary (scripts/test.mjs, which adds
 * them up) can say how many ran against each real component.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts: Record<string, { passed: number; failed: number; skipped: number }> = {};
    const problems: string[] = [];
    const firstLine = (errors: ReadonlyArray<{ message?: string }> | undefined) => (errors?.[0]?.message ?? '').split('\n')[0]!.slice(0, 300);
    for (const module of testModules) {
      const project = (counts[module.project.name] ??= { passed: 0, failed: 0, skipped: 0 });
      // A file that failed outside its tests (an import, a hook) counts no test but fails the run.
      if (module.state() === 'failed' && module.errors().length) problems.push(`[${module.project.name}] ${path.relative(process.cwd(), module.moduleId)}: ${firstLine(module.errors())}`);
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') project.passed++;
        else if (result.state === 'failed') {
          project.failed++;
          problems.push(`[${module.project.name}] ${path.relative(process.cwd(), module.moduleId)} › ${test.fullName}: ${firstLine(result.errors)}`);
        } else project.skipped++;
      }
    }
    for (const error of unhandledErrors) problems.push(`unhandled: ${firstLine([error])} ${(error.stack ?? '').split('\n').slice(1, 3).join(' ').trim()}`);
    fs.mkdirSync(COUNTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(COUNTS_DIR, `${process.pid}.json`), JSON.stringify(counts, null, 2));
    // Appended: whole lines from each run.
    if (problems.length) fs.appendFileSync(PROBLEMS_FILE, problems.map((p) => `${p}\n`).join(''));
  }
}

import fs from 'node:fs';
import path from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

const COUNTS_FILE = '.test-output/vitest-counts.json';
/** What went wrong, one line each, for the summary at the end of `npm test` (CI shows only the log's tail). */
const PROBLEMS_FILE = '.test-output/vitest-problems.txt';

/**
 * Counts tests per vitest project (unit, sqlite, postgres, redis, smoke) into
 * .test-output/vitest-counts.json, so the test summary can say how many ran against each real
 * component. `npm test` runs vitest more than once (the smoke suite needs the build), so each run
 * merges its projects into the file: a project it ran replaces that project's earlier count,
 * the others are kept.
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
    fs.mkdirSync('.test-output', { recursive: true });
    fs.writeFileSync(COUNTS_FILE, JSON.stringify({ ...readCounts(), ...counts }, null, 2));
    if (problems.length) fs.appendFileSync(PROBLEMS_FILE, problems.map((p) => `${p}\n`).join(''));
  }
}

function readCounts(): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(COUNTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

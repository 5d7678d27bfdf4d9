/**
 * Prints one plain closing line per vitest run — `vitest: N passed, N failed, N skipped` —
 * which CI reads to know how many tests actually ran.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    let hookFailures = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      if (module.state() === 'failed' && module.children.size === 0) counts.failed++;
      // A failed beforeAll/afterAll fails the run although every test in it passed: say so.
      const testFailed = [...module.children.allTests()].some((test) => test.result().state === 'failed');
      if (module.state() === 'failed' && !testFailed && module.children.size > 0) hookFailures++;
    }
    const hooks = hookFailures > 0 ? `, ${hookFailures} file(s) failed outside their tests (a hook)` : '';
    process.stdout.write(`vitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${hooks}\n`);
  }
}

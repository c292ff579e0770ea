// node scripts/vitest-summary.cjs REPORT.json: "N passed, N failed, N skipped" from vitest's JSON
// reporter, then each failed test by file, name and the first line of its error. CI keeps only
// the tail of a run's output, and a flaky test must be named there to be found.
const path = require('node:path');

const report = require(path.resolve(process.argv[2]));
const failed = report.testResults.flatMap((file) => file.assertionResults
  .filter((test) => test.status === 'failed')
  .map((test) => `\n  failed: ${path.relative(process.cwd(), file.name)} > ${test.fullName}: ` +
    String(test.failureMessages[0] ?? '').split('\n')[0].slice(0, 300)));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped${failed.join('')}`);

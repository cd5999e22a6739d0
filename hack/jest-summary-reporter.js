// Jest prints no single closing tally; CI and people read this line instead.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    const extra = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\n${extra > 0 ? `${line}, ${extra} skipped` : line}\n`);
  }
}
module.exports = SummaryReporter;

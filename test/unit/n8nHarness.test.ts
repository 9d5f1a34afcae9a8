import { executionResult } from '../../testkit/n8nHarness';

// `n8n execute --rawOutput` output as it reaches the e2e tests: log lines, the run data,
// then sometimes more log lines (CI once saw text after the JSON and the parse failed).
const runData = JSON.stringify({ data: { resultData: { runData: { Node: [{ data: { main: [[{ json: { text: 'a\n}' } }]] } }] } } } }, null, 2);

describe('executionResult', () => {
  it('reads the run data between log lines', () => {
    const stdout = `Loading workflow\nExecution was successful:\n${runData}\nPruning old executions\n{\n`;
    const result = executionResult(stdout);
    expect(result.data.resultData.runData.Node[0].data.main[0][0].json.text).toBe('a\n}');
  });

  it('names the problem when n8n printed no run data or a cut one', () => {
    expect(() => executionResult('Execution failed\n')).toThrow('no run data');
    expect(() => executionResult(runData.slice(0, 40))).toThrow('cut short');
  });
});

// Tests are compiled by tsc with the rest of the project (npm test builds first), so the
// inference worker thread runs the same JavaScript that ships in dist/.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '..',
  testEnvironment: '<rootDir>/test/jest.environment.js',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  // Only to stop a hang: no test may fail because a busy machine is slow.
  testTimeout: 900000,
  // One file at a time: the machines have 2 cores and each suite runs onnxruntime.
  maxWorkers: 1,
  globalSetup: '<rootDir>/test/jest.scratch.js',
  globalTeardown: '<rootDir>/test/jest.scratch-teardown.js',
};

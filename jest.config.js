// Tests are compiled by tsc with the rest of the project (npm test builds first), so the
// inference worker thread runs the same JavaScript that ships in dist/.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  testTimeout: 120000,
  // The real-n8n test installs n8n (minutes on a fresh machine): run it alone with `npm run test:e2e`.
  testPathIgnorePatterns: process.env.E2E ? [] : ['/e2e/'],
  maxWorkers: 1,
};

/**
 * `npm run test:faults`: the fault and load tests in test/faults (a fuzzer, a SIGKILL in
 * the middle of a burst, a gateway outage of a minute, 500 concurrent calls, the SMS
 * pumping run). Each starts real server processes and loads the machine, so they run one
 * at a time, apart from `npm test`, with timeouts sized for the outage and a busy CI machine.
 */
/** @type {import('jest').Config} */
module.exports = {
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 10 * 60_000,
  // src/ compiled once for the process tests' servers and CLIs (test/helpers/compiled-src.ts).
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  setupFiles: ['<rootDir>/test/helpers/schema-notice.ts'],
  // IvrCaller's pages are schema-checked together when each test ends.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/check-deferred-vxml.ts'],
};

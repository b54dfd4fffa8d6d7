/** @type {import('jest').Config} */
module.exports = {
  // Compiled file by file without type checking (tsconfig.jest.json): `npm run typecheck`
  // checks the types, and each jest worker no longer builds the whole program's types.
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fault and load tests take minutes and load the machine: `npm run test:faults`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
  // SQLite files and fake servers are per test file; two workers fit the 2-core machines.
  maxWorkers: 2,
  // The slowest files first, also in a fresh clone with no jest cache (the two workers end together).
  testSequencer: '<rootDir>/test/helpers/slow-first-sequencer.js',
  // Whole calls validate every document against the W3C schema (xmllint in wasm): on a
  // busy shared 2-core machine a test of twenty calls has taken over 20 s without anything
  // being wrong. The timeout only catches a hang; no test asserts on speed.
  testTimeout: 90_000,
  // src/ compiled once for the process tests' servers and CLIs (test/helpers/compiled-src.ts).
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  setupFiles: ['<rootDir>/test/helpers/schema-notice.ts'],
  // IvrCaller's pages are schema-checked together when each test ends.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/check-deferred-vxml.ts'],
};

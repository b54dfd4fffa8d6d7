/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // SQLite files and fake servers are per test file; two workers fit the 2-core machines.
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/helpers/schema-notice.ts'],
};

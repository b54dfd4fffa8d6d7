import { checkDeferredVxml } from './vxml-schema';

// Runs in every test file (jest.config.js, setupFilesAfterEnv): the pages IvrCaller
// fetched are schema-checked together once the file's tests are over, and an invalid one
// fails the file, naming the test that fetched it. Each xmllint run costs a quarter to
// most of a second whatever it checks (up to 32 documents): checked after each test, the
// 656 tests of the 52 files that walk calls paid one run each.
afterAll(checkDeferredVxml);

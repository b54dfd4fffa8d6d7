import { checkDeferredVxml } from './vxml-schema';

// Runs in every test file (jest.config.js, setupFilesAfterEnv): the pages IvrCaller
// fetched are schema-checked when the test that fetched them ends, and an invalid one
// fails that test. Pages fetched in a beforeAll are checked after the file's first test;
// afterAll catches any left over, so no page goes unchecked.
afterEach(checkDeferredVxml);
afterAll(checkDeferredVxml);

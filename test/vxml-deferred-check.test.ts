import { checkDeferredVxml, expectValidVxmlAfterTest, schemaAvailable } from './helpers/vxml-schema';

/**
 * The pages IvrCaller fetches are schema-checked together once a file's tests are over
 * (test/helpers/check-deferred-vxml.ts): an invalid one must still fail, naming the test
 * that fetched it and showing its errors.
 */
const INVALID = '<?xml version="1.0"?><vxml version="2.1" xmlns="http://www.w3.org/2001/vxml"><nonsense/></vxml>';
const VALID = '<?xml version="1.0"?><vxml version="2.1" xmlns="http://www.w3.org/2001/vxml"><form><block><prompt>Hello</prompt></block></form></vxml>';

(schemaAvailable ? it : it.skip)('a deferred invalid page fails the check, naming the test that fetched it', async () => {
  expectValidVxmlAfterTest(VALID);
  expectValidVxmlAfterTest(INVALID);
  const failure = checkDeferredVxml();
  await expect(failure).rejects.toThrow('fetched in test "a deferred invalid page fails the check, naming the test that fetched it" is not schema-valid');
  await expect(failure).rejects.toThrow("Element '{http://www.w3.org/2001/vxml}nonsense': This element is not expected");
  // Checked once: nothing is left for the file's own check.
  await expect(checkDeferredVxml()).resolves.toBeUndefined();
});

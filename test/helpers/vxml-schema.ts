import { createVxmlValidator, schemaDir, schemaPresent, type VxmlValidator } from '../../src/simulator/schema';

/**
 * The tests' view of the W3C VoiceXML 2.1 schema (src/simulator/schema.ts): found through
 * VXML_SCHEMA_DIR or ../shared/vxml21-schema. It sits beside the checkout in CI and in the
 * team's workspace, not in a user's clone: there, validation is skipped and
 * test/helpers/schema-notice.ts says so loudly.
 */
export const SCHEMA_DIR = schemaDir();
export const schemaAvailable = schemaPresent(SCHEMA_DIR);

let validator: VxmlValidator | undefined;

/** Schema errors of one document; empty when valid (or when the schema is absent). */
export async function vxmlSchemaErrors(xml: string): Promise<string[]> {
  if (!schemaAvailable) return [];
  validator ??= createVxmlValidator(SCHEMA_DIR);
  return validator(xml);
}

/** Fails the test, showing the document, when it is not valid VoiceXML 2.1. */
export async function expectValidVxml(xml: string): Promise<void> {
  const errors = await vxmlSchemaErrors(xml);
  if (errors.length) {
    throw new Error(`VoiceXML document is not schema-valid:\n${errors.join('\n')}\n--- document ---\n${xml}`);
  }
}

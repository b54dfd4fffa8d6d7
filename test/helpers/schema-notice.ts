import { SCHEMA_DIR, schemaAvailable } from './vxml-schema';

// Runs before every test file: a missing schema must never pass silently.
if (!schemaAvailable) {
  process.stderr.write(
    `\n*** NOTICE: ${SCHEMA_DIR} not found: VoiceXML documents are NOT being validated against ` +
      'the W3C schema in this run (the schema tests are reported as skipped). ***\n\n',
  );
}

import fs from 'node:fs';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';

/**
 * Validation against the W3C VoiceXML 2.1 schema in ../shared/vxml21-schema. The schema
 * sits beside the checkout in CI and in the team's workspace, not in a user's clone:
 * there, validation is skipped and test/helpers/schema-notice.ts says so loudly.
 */
export const SCHEMA_DIR = process.env.VXML_SCHEMA_DIR ?? path.resolve(__dirname, '../../../shared/vxml21-schema');
export const schemaAvailable = fs.existsSync(path.join(SCHEMA_DIR, 'vxml.xsd'));

type XmlFile = { fileName: string; contents: string };
let schemaFiles: { schema: XmlFile; preload: XmlFile[] } | undefined;

function loadSchema(): { schema: XmlFile; preload: XmlFile[] } {
  if (!schemaFiles) {
    const read = (fileName: string): XmlFile => ({
      fileName,
      contents: fs.readFileSync(path.join(SCHEMA_DIR, fileName), 'utf8'),
    });
    const xsds = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.xsd'));
    schemaFiles = { schema: read('vxml.xsd'), preload: xsds.filter((f) => f !== 'vxml.xsd').map(read) };
  }
  return schemaFiles;
}

/** Schema errors of one document; empty when valid (or when the schema is absent). */
export async function vxmlSchemaErrors(xml: string): Promise<string[]> {
  if (!schemaAvailable) return [];
  const { schema, preload } = loadSchema();
  const result = await validateXML({ xml: [{ fileName: 'document.vxml', contents: xml }], schema: [schema], preload });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage ?? e.message);
}

/** Fails the test, showing the document, when it is not valid VoiceXML 2.1. */
export async function expectValidVxml(xml: string): Promise<void> {
  const errors = await vxmlSchemaErrors(xml);
  if (errors.length) {
    throw new Error(`VoiceXML document is not schema-valid:\n${errors.join('\n')}\n--- document ---\n${xml}`);
  }
}

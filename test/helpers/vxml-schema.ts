import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Each distinct document is validated once per machine, not once per test: the wasm
 * validator takes about a second a document (several on a busy machine), and the suite
 * serves the same documents thousands of times. A document found valid is remembered by
 * its content's hash, in memory and as an empty file in a folder named after the schema
 * files' own hash (so a changed schema starts afresh). Invalid ones are never remembered:
 * they are checked again, to show their errors.
 */
const VALID_CACHE_DIR = schemaAvailable
  ? path.join(
      os.tmpdir(),
      `ivr-deflect-valid-vxml-${sha256(
        fs
          .readdirSync(SCHEMA_DIR)
          .filter((f) => f.endsWith('.xsd'))
          .sort()
          .map((f) => `${f}\n${fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')}`)
          .join('\n'),
      ).slice(0, 16)}`,
    )
  : '';
const checked = new Map<string, Promise<string[]>>();

/** Schema errors of one document; empty when valid (or when the schema is absent). */
export async function vxmlSchemaErrors(xml: string): Promise<string[]> {
  if (!schemaAvailable) return [];
  const key = sha256(xml);
  let errors = checked.get(key);
  if (!errors) {
    errors = validateOnce(xml, key);
    checked.set(key, errors);
  }
  return errors;
}

async function validateOnce(xml: string, key: string): Promise<string[]> {
  const marker = path.join(VALID_CACHE_DIR, key);
  if (fs.existsSync(marker)) return [];
  // The validator runs one xmllint at a time, and validates the documents asked for
  // meanwhile together in its next run (src/simulator/schema.ts).
  validator ??= createVxmlValidator(SCHEMA_DIR);
  const errors = await validator(xml);
  if (errors.length === 0) {
    fs.mkdirSync(VALID_CACHE_DIR, { recursive: true });
    fs.writeFileSync(marker, '');
  }
  return errors;
}

/** Fails the test, showing the document, when it is not valid VoiceXML 2.1. */
export async function expectValidVxml(xml: string): Promise<void> {
  const errors = await vxmlSchemaErrors(xml);
  if (errors.length) {
    throw new Error(`VoiceXML document is not schema-valid:\n${errors.join('\n')}\n--- document ---\n${xml}`);
  }
}

/**
 * Documents the tests of this file received and have not yet checked: IvrCaller hands
 * each page here and walks on, and test/helpers/check-deferred-vxml.ts checks them all
 * when the file's tests are over, failing the file with every invalid document and the
 * name of the test that fetched it. Checked together, a file's pages take a few xmllint
 * runs of 32 documents instead of one run (a quarter to most of a second) per test.
 */
const deferred: Array<{ xml: string; test: string }> = [];

/** Checks xml when the file's tests are over, failing the file (naming this test) when xml is not valid VoiceXML 2.1. */
export function expectValidVxmlAfterTest(xml: string): void {
  if (schemaAvailable) deferred.push({ xml, test: expect.getState().currentTestName ?? '(a beforeAll or afterAll hook)' });
}

/** Checks the documents deferred so far, all at once; throws naming each invalid one's test, its errors and the document. */
export async function checkDeferredVxml(): Promise<void> {
  const docs = deferred.splice(0);
  const checked = await Promise.all(docs.map(async (d) => ({ ...d, errors: await vxmlSchemaErrors(d.xml) })));
  const invalid = checked.filter((c) => c.errors.length > 0);
  if (invalid.length) {
    throw new Error(
      invalid
        .map((c) => `VoiceXML document fetched in test "${c.test}" is not schema-valid:\n${c.errors.join('\n')}\n--- document ---\n${c.xml}`)
        .join('\n\n'),
    );
  }
}

/** A document the schema refused, with its errors (as the simulator records them). */
export interface InvalidVxml {
  document: string;
  errors: string[];
}

/**
 * A validator for the simulator (its `validate` option) that answers "valid" at once and
 * keeps each document, for `invalid()` to check them all together when the run is over.
 * The simulator awaits `validate` on every fetch, one call at a time, so a validator that
 * validates there pays one xmllint run per new document (each call's pages carry its id:
 * 320 runs, most of a minute, for the shipped scenarios under one platform); checked
 * together they take about ten runs of 32. Nothing goes unchecked: the test asserts that
 * `invalid()` is empty, and a document the schema refuses is shown with its errors.
 */
export function collectingVxmlValidator(): { validate: (xml: string) => Promise<string[]>; invalid: () => Promise<InvalidVxml[]>; count: () => number } {
  const documents: string[] = [];
  return {
    validate: async (xml) => {
      documents.push(xml);
      return [];
    },
    invalid: async () => {
      const checked = await Promise.all(documents.map(async (document) => ({ document, errors: await vxmlSchemaErrors(document) })));
      return checked.filter((c) => c.errors.length > 0);
    },
    count: () => documents.length,
  };
}

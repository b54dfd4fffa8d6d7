import fs from 'node:fs';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';

/**
 * Validation against the W3C VoiceXML 2.1 schema (the simulator's --validate, and the
 * tests). The schema is W3C's, not ours: it sits beside the checkout (../shared) in CI
 * and in the team's workspace and is never copied into the project, so a user's clone
 * may not have it. Then validating is refused with a message saying where to get it.
 */

/** The project root: src/simulator/ is two levels down (also when run from dist/). */
const PROJECT_ROOT = path.resolve(__dirname, '../..');
export const DEFAULT_SCHEMA_DIR = path.resolve(PROJECT_ROOT, '../shared/vxml21-schema');

/** Where the schema is looked for: an explicit folder (--schema-dir), then VXML_SCHEMA_DIR, then ../shared. */
export function schemaDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(explicit ?? env.VXML_SCHEMA_DIR ?? DEFAULT_SCHEMA_DIR);
}

export function schemaPresent(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'vxml.xsd'));
}

export class SchemaMissingError extends Error {
  constructor(readonly dir: string) {
    super(
      `the W3C VoiceXML 2.1 schema is not in ${dir} (no vxml.xsd there).\n` +
        'Get it from https://www.w3.org/TR/voicexml21/: vxml.xsd and the .xsd files it includes ' +
        '(vxml-datatypes, vxml-attribs, vxml-grammar-extension, vxml-grammar-restriction, ' +
        'vxml-synthesis-extension, vxml-synthesis-restriction, grammar-core, synthesis-core), and ' +
        'https://www.w3.org/2001/xml.xsd saved beside them, with every schemaLocation that names xml.xsd ' +
        'changed to the local "xml.xsd" so validation needs no network. Put them in one folder and pass ' +
        '--schema-dir <folder> or set VXML_SCHEMA_DIR.',
    );
    this.name = 'SchemaMissingError';
  }
}

/** Schema errors of one document; empty when it is valid. */
export type VxmlValidator = (xml: string) => Promise<string[]>;

type XmlFile = { fileName: string; contents: string };

/**
 * Documents validated together in one xmllint run at most. A run's fixed cost (its worker,
 * the wasm, the schema) is most of a run's CPU: 128 documents cost about what 32 do. The
 * wasm heap may grow to 256 MiB for them (xmllint-wasm's default limit, 32 MiB, held 32).
 */
const MAX_BATCH = 128;
const MAX_MEMORY_PAGES = 4096; // 64 KiB pages: 256 MiB

/**
 * A validator for the schema in `dir`. Throws SchemaMissingError at once when the folder
 * has no vxml.xsd, so a run never starts believing it validates. The files are read once.
 *
 * Each xmllint run starts a worker thread, instantiates the wasm and parses the whole
 * schema: that start costs several times the validation of one document, and grows with
 * the machine's load (tests walking fifty calls at once timed out on a busy machine). So
 * documents asked for while a run is going are queued and validated together in the next
 * run, which parses the schema once for all of them (xmllint validates each file given
 * on its command line on its own). The answer is the same as alone: when a batch is not
 * all valid, each of its documents is validated again alone, so each shows exactly its
 * own errors, named as a lone document's are.
 */
export function createVxmlValidator(dir: string): VxmlValidator {
  if (!schemaPresent(dir)) throw new SchemaMissingError(dir);
  const read = (fileName: string): XmlFile => ({ fileName, contents: fs.readFileSync(path.join(dir, fileName), 'utf8') });
  const schema = read('vxml.xsd');
  // xmllint-wasm has no file system: every file vxml.xsd includes or imports is preloaded.
  const preload = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.xsd') && f !== 'vxml.xsd')
    .map(read);

  const alone = (xml: string): Promise<string[]> =>
    oneWorkerAtATime(async () => {
      const result = await validateXML({ xml: [{ fileName: 'document.vxml', contents: xml }], schema: [schema], preload });
      return result.valid ? [] : result.errors.map((e) => e.rawMessage ?? e.message);
    });

  const together = async (docs: string[]): Promise<string[][]> => {
    if (docs.length === 1) return [await alone(docs[0] as string)];
    const xml = docs.map((contents, i) => ({ fileName: `document-${i}.vxml`, contents }));
    const allValid = await oneWorkerAtATime(() => validateXML({ xml, schema: [schema], preload, maxMemoryPages: MAX_MEMORY_PAGES })).then(
      (result) => result.valid,
      () => false,
    );
    if (allValid) return docs.map(() => []);
    const answers: string[][] = [];
    for (const doc of docs) answers.push(await alone(doc));
    return answers;
  };

  type Waiting = { xml: string; resolve: (errors: string[]) => void; reject: (err: unknown) => void };
  let waiting: Waiting[] = [];
  let draining = false;
  const drain = async (): Promise<void> => {
    draining = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(MAX_BATCH);
      try {
        const answers = await together(batch.map((w) => w.xml));
        batch.forEach((w, i) => w.resolve(answers[i] as string[]));
      } catch (err) {
        batch.forEach((w) => w.reject(err));
      }
    }
    draining = false;
  };

  return (xml) =>
    new Promise<string[]>((resolve, reject) => {
      waiting.push({ xml, resolve, reject });
      if (!draining) void drain();
    });
}

/**
 * xmllint-wasm starts a worker thread for each document and terminates it afterwards.
 * Node.js can crash the whole process (SIGSEGV) when one worker is being terminated while
 * another starts (nodejs/node#56312); a CI run lost a jest worker that way. So this
 * process validates one document at a time: the next worker starts only after the last
 * one's terminate() has finished (validateXML resolves after it). A failure does not
 * stop the queue.
 */
let lastValidation: Promise<unknown> = Promise.resolve();
function oneWorkerAtATime<T>(validate: () => Promise<T>): Promise<T> {
  const run = lastValidation.then(validate, validate);
  lastValidation = run.catch(() => undefined);
  return run;
}

import tty from 'node:tty';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseInput, scriptedInputs } from './inputs';
import { startOf, type CallSpec } from './scenario';
import { createVxmlValidator, schemaDir, SchemaMissingError, type VxmlValidator } from './schema';
import { simulateCall } from './simulate';
import { lineInputs, type LineInputs } from './terminal-input';
import { endEntry, entryText } from './transcript-text';
import type { CallerInput, CallOutcome, InputSource } from './types';

/**
 * `npm run simulate -- --url <start URL> ...`: one call through any VoiceXML 2.1 server,
 * printed as it happens. Exit codes: 0 the call ended normally (and, with --validate,
 * every document was valid), 1 it did not, 2 the command line was wrong.
 */

export const HELP = `Usage: npm run simulate -- --url <start URL> [options]

Walks one call through a VoiceXML 2.1 application, as an IVR platform would, and
prints what the caller hears and what the browser does.

  --url URL             the start document (required), http or https
  --dnis N              the dialled number: session.connection.local.uri, and added to
                        the start URL's query as "dnis" unless the URL has it already
  --ani N               the caller's number: session.connection.remote.uri, and "ani"
                        in the query likewise ("anonymous" or "" for a withheld one)
  --call-id ID          the platform's call id: session variable, and "callid" likewise
                        (dnis, ani and callid are what ivr-deflect's /vxml/start reads)
  --param NAME=VALUE    another query parameter of the start URL, e.g. mode=subdialog;
                        repeatable; replaces one of the same name
  --method get|post     how the start document is fetched (default get)
  --no-application-root as a platform that never loads the root document a page names
                        in application= (some do not, in subdialogs)
  --input LIST          the caller's inputs, comma-separated: keys (1, 6175551234#),
                        noinput (silence), help, hangup. E.g. --input 1,2,6175551234#,1
  --json                print the outcome as one JSON object at the end instead of the
                        transcript as it happens
  --validate            check every fetched document against the W3C VoiceXML 2.1 schema
  --schema-dir DIR      where the schema is (default: $VXML_SCHEMA_DIR, or
                        ../shared/vxml21-schema beside the project)
  --timeout-ms MS       fetch timeout when a document sets no fetchtimeout
  -h, --help            this text

Without --input, the caller is you: at each question the expected keys are shown and
a line is read (keys, noinput, help or hangup; an empty line is noinput; Ctrl-D ends the
input). With stdin not a terminal, inputs are read from it one per line the same way.

Exit status: 0 when the call ended normally (exit, disconnect, return, hang-up or the
end of the document) and, with --validate, every document was valid; 1 when it did not
(an error event, the inputs ran out, an invalid document); 2 for a usage error.

Example (the shipped example campaign, on a server started with npm start):
  npm run simulate -- --url http://localhost:3000/vxml/start \\
    --dnis +18005550100 --ani +16175551234 --input 1,1`;

export class UsageError extends Error {}

export type CliCommand =
  | { kind: 'help' }
  | {
      kind: 'call';
      call: CallSpec;
      /** Scripted inputs; undefined: read them from stdin. */
      inputs?: CallerInput[];
      json: boolean;
      validate: boolean;
      schemaDir?: string;
      timeoutMs?: number;
    };

const flagsSchema = z.strictObject({
  url: z.string({ error: 'is required' }).min(1, 'is required'),
  dnis: z.string().optional(),
  ani: z.string().optional(),
  'call-id': z.string().optional(),
  param: z.array(z.string().regex(/^[^=]+=/, 'must be NAME=VALUE')).optional(),
  method: z
    .string()
    .transform((m) => m.toLowerCase())
    .pipe(z.enum(['get', 'post'], { error: 'must be get or post' }))
    .optional(),
  input: z.string().optional(),
  'no-application-root': z.boolean().optional(),
  json: z.boolean().optional(),
  validate: z.boolean().optional(),
  'schema-dir': z.string().min(1).optional(),
  'timeout-ms': z.coerce.number({ error: 'must be a number' }).int('must be whole milliseconds').positive('must be positive').optional(),
  help: z.boolean().optional(),
});

/** "1,6175551234#,noinput" as inputs; "" is none (the call ends at the first question). */
function parseInputList(list: string): CallerInput[] {
  if (!list.trim()) return [];
  try {
    return list.split(',').map(parseInput);
  } catch (err) {
    throw new UsageError(`--input: ${(err as Error).message}`);
  }
}

/** The command line as a command; throws UsageError naming the flag at fault. */
export function parseCliArgs(argv: string[]): CliCommand {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        dnis: { type: 'string' },
        ani: { type: 'string' },
        'call-id': { type: 'string' },
        param: { type: 'string', multiple: true },
        method: { type: 'string' },
        input: { type: 'string' },
        'no-application-root': { type: 'boolean' },
        json: { type: 'boolean' },
        validate: { type: 'boolean' },
        'schema-dir': { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((i) => `--${String(i.path[0] ?? '')}: ${i.message}`).join('; '));
  }
  const flags = parsed.data;
  // The same call a scenario file describes (scenario.ts), so both build start URLs alike.
  const call: CallSpec = {
    url: flags.url,
    ...(flags.method ? { method: flags.method } : {}),
    ...(flags.dnis !== undefined ? { dnis: flags.dnis } : {}),
    ...(flags.ani !== undefined ? { ani: flags.ani } : {}),
    ...(flags['call-id'] !== undefined ? { callId: flags['call-id'] } : {}),
    ...(flags.param ? { params: Object.fromEntries(flags.param.map(splitParam)) } : {}),
    ...(flags['no-application-root'] ? { loadApplicationRoot: false } : {}),
  };
  // The URL is checked here too, so a bad one is a usage error before anything runs.
  try {
    startOf(call);
  } catch (err) {
    throw new UsageError(`--url: ${(err as Error).message}`);
  }
  return {
    kind: 'call',
    call,
    ...(flags.input !== undefined ? { inputs: parseInputList(flags.input) } : {}),
    json: flags.json ?? false,
    validate: flags.validate ?? false,
    ...(flags['schema-dir'] ? { schemaDir: flags['schema-dir'] } : {}),
    ...(flags['timeout-ms'] ? { timeoutMs: flags['timeout-ms'] } : {}),
  };
}

function splitParam(param: string): [string, string] {
  const at = param.indexOf('=');
  return [param.slice(0, at), param.slice(at + 1)];
}

/** Inputs from the command line, or else from stdin: a person at a terminal, or a pipe. */
function inputSource(scripted: CallerInput[] | undefined): { inputs: InputSource; lines?: LineInputs } {
  if (scripted) return { inputs: scriptedInputs(scripted) };
  const lines = lineInputs(process.stdin, tty.isatty(0) ? process.stderr : undefined);
  return { inputs: lines.inputs, lines };
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`simulate: ${err.message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }

  let validate: VxmlValidator | undefined;
  if (command.validate) {
    try {
      validate = createVxmlValidator(schemaDir(command.schemaDir));
    } catch (err) {
      if (!(err instanceof SchemaMissingError)) throw err;
      process.stderr.write(`simulate: --validate: ${err.message}\n`);
      return 2;
    }
  }

  const style = { colour: process.stdout.isTTY === true };
  let printedEnd = false;
  const { inputs, lines } = inputSource(command.inputs);
  let outcome: CallOutcome;
  try {
    outcome = await simulateCall({
      ...startOf(command.call),
      inputs,
      ...(command.json
        ? {}
        : {
            onEntry: (entry) => {
              printedEnd ||= entry.kind === 'end';
              process.stdout.write(`${entryText(entry, style)}\n`);
            },
          }),
      ...(validate ? { validate } : {}),
      ...(command.timeoutMs ? { fetchTimeoutMs: command.timeoutMs } : {}),
    });
  } catch (err) {
    process.stderr.write(`simulate: the simulator failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  } finally {
    lines?.close();
  }

  if (command.json) {
    process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  } else if (!printedEnd) {
    process.stdout.write(`${entryText(endEntry(outcome), style)}\n`);
  }
  const invalid = outcome.transcript.filter((e) => e.kind === 'invalid').length;
  if (invalid) process.stderr.write(`simulate: ${invalid} document(s) not valid VoiceXML 2.1\n`);
  return outcome.normal && !invalid ? 0 : 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

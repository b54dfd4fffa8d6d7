import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { scriptedInputs } from './inputs';
import { judge, loadScenarioFile, ScenarioFileError, startOf, type Scenario } from './scenario';
import { createVxmlValidator, schemaDir, SchemaMissingError, type VxmlValidator } from './schema';
import { simulateCall } from './simulate';
import { outcomeText, type TextStyle } from './transcript-text';
import type { CallOutcome, InputSource } from './types';

/**
 * `npm run scenarios -- [--base-url URL] [--validate] [files or folders...]`: runs every
 * scenario (src/simulator/scenario.ts says what a file holds) as a simulated call and
 * prints PASS or FAIL for each, with the reasons and the transcript of a failed call.
 * Exit codes: 0 every scenario passed, 1 one did not, 2 the command line was wrong.
 */

const PROJECT_ROOT = path.resolve(__dirname, '../..');
export const DEFAULT_SCENARIOS = path.join(PROJECT_ROOT, 'campaigns/scenarios');
export const DEFAULT_BASE_URL = 'http://localhost:3000';

export interface ScenarioResult {
  file: string;
  /** The scenario's name; the file's name when the file could not be read. */
  name: string;
  /** The scenario as read (its "{run}" filled in); absent when the file could not be read. */
  scenario?: Scenario;
  passed: boolean;
  /** Why it failed, one sentence each. */
  failures: string[];
  /** The call, when one was made. */
  outcome?: CallOutcome;
}

export interface RunOptions {
  /** What relative call URLs are resolved against. */
  baseUrl: string;
  validate?: VxmlValidator;
  /** The digits that replace "{run}" in the files; four random ones by default. */
  run?: string;
  fetchTimeoutMs?: number;
  /** Start parameters added to every scenario's call (e.g. platform=cisco to run them all under a profile). */
  params?: Record<string, string>;
}

export function newRunId(): string {
  return String(randomInt(10_000)).padStart(4, '0');
}

/** One scenario as one call, judged against its expectations. */
export async function runScenario(
  scenario: Scenario,
  file: string,
  options: Pick<RunOptions, 'baseUrl' | 'validate' | 'fetchTimeoutMs' | 'params'>,
): Promise<ScenarioResult> {
  const resultOf = (failures: string[], outcome?: CallOutcome): ScenarioResult => ({
    file,
    name: scenario.name,
    scenario,
    passed: failures.length === 0,
    failures,
    ...(outcome ? { outcome } : {}),
  });
  let start: ReturnType<typeof startOf>;
  try {
    const call = options.params ? { ...scenario.call, params: { ...scenario.call.params, ...options.params } } : scenario.call;
    start = startOf(call, options.baseUrl);
  } catch (err) {
    return resultOf([`call.url: ${(err as Error).message}`]);
  }
  const script = scriptedInputs(scenario.inputs);
  let asked = 0;
  const inputs: InputSource = (request) => {
    asked++;
    return script(request);
  };
  try {
    const outcome = await simulateCall({
      ...start,
      inputs,
      ...(options.validate ? { validate: options.validate } : {}),
      ...(options.fetchTimeoutMs ? { fetchTimeoutMs: options.fetchTimeoutMs } : {}),
    });
    return resultOf(judge(scenario, outcome, Math.min(asked, scenario.inputs.length)), outcome);
  } catch (err) {
    return resultOf([`the simulator failed: ${(err as Error).message}`]);
  }
}

/** The scenario files named: files as given, folders searched (with subfolders) for *.json. */
export function scenarioFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    if (!fs.statSync(p).isDirectory()) return [p];
    return fs
      .readdirSync(p, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => path.join(p, f));
  });
}

/**
 * Runs every scenario of the files, in order (a file's scenarios may depend on each
 * other), one call at a time. A file that cannot be read is one failed result.
 */
export async function runScenarioFiles(
  files: readonly string[],
  options: RunOptions,
  onResult?: (result: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  const run = options.run ?? newRunId();
  const results: ScenarioResult[] = [];
  const report = (result: ScenarioResult) => {
    results.push(result);
    onResult?.(result);
  };
  for (const file of files) {
    let scenarios: Scenario[];
    try {
      scenarios = loadScenarioFile(file, run);
    } catch (err) {
      if (!(err instanceof ScenarioFileError)) throw err;
      report({ file, name: path.basename(file), passed: false, failures: err.problems });
      continue;
    }
    for (const scenario of scenarios) report(await runScenario(scenario, file, options));
  }
  return results;
}

const indent = (text: string, by: string) => text.replace(/^/gm, by);

/** PASS or FAIL and the name; for a failure, the reasons and the call's transcript. */
export function resultText(result: ScenarioResult, style: TextStyle = {}): string {
  const relative = path.relative(process.cwd(), result.file);
  const where = relative && !relative.startsWith('..') ? relative : result.file;
  if (result.passed) return `PASS  ${result.name}  (${where})`;
  const lines = [`FAIL  ${result.name}  (${where})`, ...result.failures.map((f) => `      - ${f}`)];
  if (result.outcome) lines.push('      transcript:', indent(outcomeText(result.outcome, style), '        '));
  return lines.join('\n');
}

export const HELP = `Usage: npm run scenarios -- [--base-url URL] [--validate] [files or folders...]

Runs scenario files (default: campaigns/scenarios) as simulated calls and prints PASS
or FAIL for each; a failure shows why and the transcript of the call.

  --base-url URL     what relative call URLs are resolved against (default ${DEFAULT_BASE_URL})
  --validate         check every document against the W3C VoiceXML 2.1 schema
  --schema-dir DIR   where the schema is (default: $VXML_SCHEMA_DIR, or
                     ../shared/vxml21-schema beside the project)
  -h, --help         this text

"{run}" in a scenario file is replaced by four random digits, the same for the whole run
(printed at the end), so numbers that get texts differ from one run to the next.
Exit status: 0 when every scenario passed, 1 when one failed, 2 for a usage error.`;

const flagsSchema = z.strictObject({
  'base-url': z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  validate: z.boolean().optional(),
  'schema-dir': z.string().min(1).optional(),
  help: z.boolean().optional(),
});

/** Runs the command; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const usage = (message: string) => {
    process.stderr.write(`scenarios: ${message}\nRun with --help for the options.\n`);
    return 2;
  };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'base-url': { type: 'string' },
        validate: { type: 'boolean' },
        'schema-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const flags = flagsSchema.safeParse(parsed.values);
  if (!flags.success) return usage(flags.error.issues.map((i) => `--${String(i.path[0] ?? '')}: ${i.message}`).join('; '));
  if (flags.data.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }

  let files: string[];
  try {
    files = scenarioFiles(parsed.positionals.length ? parsed.positionals : [DEFAULT_SCENARIOS]);
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!files.length) return usage('no scenario files (*.json) found');

  let validate: VxmlValidator | undefined;
  if (flags.data.validate) {
    try {
      validate = createVxmlValidator(schemaDir(flags.data['schema-dir']));
    } catch (err) {
      if (!(err instanceof SchemaMissingError)) throw err;
      return usage(`--validate: ${err.message}`);
    }
  }

  const style = { colour: process.stdout.isTTY === true };
  const run = newRunId();
  const results = await runScenarioFiles(
    files,
    { baseUrl: flags.data['base-url'] ?? DEFAULT_BASE_URL, run, ...(validate ? { validate } : {}) },
    (result) => process.stdout.write(`${resultText(result, style)}\n`),
  );
  const failed = results.filter((r) => !r.passed).length;
  process.stdout.write(`\n${results.length - failed} passed, ${failed} failed (run ${run})\n`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

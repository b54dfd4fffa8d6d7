import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseCliArgs } from '../../src/simulator/cli';
import { lineInputs } from '../../src/simulator/terminal-input';
import { entryText, outcomeText } from '../../src/simulator/transcript-text';
import type { CallOutcome, InputRequest, TranscriptEntry } from '../../src/simulator/types';
import { startFixtureServer, type FixtureServer } from '../helpers/fixture-server';
import { runScript, type ScriptRun } from '../helpers/run-script';
import { SCHEMA_DIR, schemaAvailable } from '../helpers/vxml-schema';

const CLI = path.resolve(__dirname, '../../src/simulator/cli.ts');
const FIXTURES = path.resolve(__dirname, 'fixtures/cli');
/** Runs the CLI as a user would; `stdin` is piped in (and closed), else stdin is empty. */
function simulate(args: string[], stdin = ''): Promise<ScriptRun> {
  return runScript(CLI, args, stdin);
}

// ---------------------------------------------------------------------------------------
// The command line.

describe('arguments', () => {
  it('make a call from the flags, dnis, ani and call id going into the start URL', () => {
    const command = parseCliArgs([
      '--url',
      'http://localhost:3000/vxml/start',
      '--dnis',
      '+18005550100',
      '--ani',
      '+16175551234',
      '--call-id',
      'demo-1',
      '--param',
      'mode=subdialog',
      '--param',
      'note=a=b',
      '--method',
      'POST',
      '--input',
      '1, 617-555-1234#,noinput,hangup',
      '--json',
      '--timeout-ms',
      '2500',
    ]);
    expect(command).toEqual({
      kind: 'call',
      call: {
        url: 'http://localhost:3000/vxml/start',
        method: 'post',
        dnis: '+18005550100',
        ani: '+16175551234',
        callId: 'demo-1',
        params: { mode: 'subdialog', note: 'a=b' },
      },
      inputs: [{ kind: 'dtmf', keys: '1' }, { kind: 'dtmf', keys: '6175551234#' }, { kind: 'noinput' }, { kind: 'hangup' }],
      json: true,
      validate: false,
      timeoutMs: 2500,
    });
    // Without --input the inputs come from stdin.
    expect(parseCliArgs(['--url', 'http://x/start'])).toEqual({ kind: 'call', call: { url: 'http://x/start' }, json: false, validate: false });
    expect(parseCliArgs(['--url', 'http://x/start', '--input', ''])).toMatchObject({ inputs: [] });
    expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['--url', 'http://x/start', '--no-application-root'])).toMatchObject({
      call: { url: 'http://x/start', loadApplicationRoot: false },
    });
  });

  it.each([
    [[], '--url: is required'],
    [['--url', 'localhost:3000/vxml/start'], '--url: "localhost:3000/vxml/start" is not an http(s) URL'],
    [['--url', '/vxml/start'], '--url: "/vxml/start" is not a URL'],
    [['--url', 'http://x', '--method', 'put'], '--method: must be get or post'],
    [['--url', 'http://x', '--input', '1,yes'], '--input: input "yes" is neither keys'],
    [['--url', 'http://x', '--param', 'novalue'], '--param: must be NAME=VALUE'],
    [['--url', 'http://x', '--timeout-ms', '1.5'], '--timeout-ms: must be whole milliseconds'],
    [['--url', 'http://x', '--ani'], "Option '--ani <value>' argument missing"],
    [['--url', 'http://x', '--colour'], "Unknown option '--colour'"],
    [['--url', 'http://x', 'extra'], "Unexpected argument 'extra'"],
  ])('refuse %j, naming the flag', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(message);
  });
});

// ---------------------------------------------------------------------------------------
// The transcript as text.

describe('transcript text', () => {
  const request: InputRequest = { dialog: 'ask', item: 'answer', expecting: ['1', '2'] };
  it.each<[TranscriptEntry, string]>([
    [{ kind: 'fetch', method: 'GET', url: 'http://x/start?dnis=1', status: 200, ms: 12 }, 'GET http://x/start?dnis=1 -> 200 (12 ms)'],
    [{ kind: 'fetch', method: 'POST', url: 'http://x/offer', body: 'answer=1', status: 200, ms: 3 }, 'POST http://x/offer [answer=1] -> 200 (3 ms)'],
    [{ kind: 'fetch', method: 'GET', url: 'http://x/gone', error: 'connect ECONNREFUSED', ms: 1 }, 'GET http://x/gone -> failed: connect ECONNREFUSED (1 ms)'],
    [{ kind: 'prompt', text: 'Press 1 for "sales".' }, '  say: "Press 1 for \\"sales\\"."'],
    [{ kind: 'listen', request }, '  listen: ask.answer, expecting 1 or 2'],
    [{ kind: 'listen', request: { ...request, expecting: [] } }, '  listen: ask.answer, expecting nothing in particular'],
    [{ kind: 'input', input: { kind: 'dtmf', keys: '6175551234#' } }, '> caller presses 6175551234#'],
    [{ kind: 'input', input: { kind: 'noinput' } }, '> caller stays silent'],
    [{ kind: 'input', input: { kind: 'help' } }, '> caller asks for help'],
    [{ kind: 'input', input: { kind: 'hangup' } }, '> caller hangs up'],
    [{ kind: 'recognition', item: 'answer', utterance: '1', interpretation: '1' }, '  recognised "1": answer = "1"'],
    [{ kind: 'event', name: 'error.badfetch', message: 'HTTP 404' }, '  event: error.badfetch (HTTP 404)'],
    [{ kind: 'log', label: 'debug', text: 'hello' }, '  log [debug]: hello'],
    [{ kind: 'invalid', url: 'http://x/a.vxml', errors: ['one', 'two'] }, '! not valid VoiceXML 2.1: http://x/a.vxml\n    one\n    two'],
    [
      { kind: 'end', reason: 'exit', values: { status: 'sent', maskedNumber: '+*******1234', reason: '' } },
      'end: exit status=sent maskedNumber=+*******1234 reason=""',
    ],
    [{ kind: 'end', reason: 'error', event: 'error.badfetch', message: 'HTTP 404' }, 'end: error error.badfetch: HTTP 404'],
  ])('%j', (entry, text) => {
    expect(entryText(entry)).toBe(text);
  });

  it('is coloured only when asked, and ends with the outcome when the transcript lacks an end', () => {
    expect(entryText({ kind: 'prompt', text: 'Hi' }, { colour: true })).toBe('  say: \u001b[1m"Hi"\u001b[0m');
    const outcome: CallOutcome = { reason: 'input-exhausted', normal: false, transcript: [{ kind: 'prompt', text: 'Hi' }], documents: [] };
    expect(outcomeText(outcome)).toBe('  say: "Hi"\nend: input-exhausted');
  });
});

// ---------------------------------------------------------------------------------------
// Inputs from a terminal or a pipe.

describe('line inputs', () => {
  const request: InputRequest = { dialog: 'menu', item: 'choice', expecting: ['1', '2'] };

  it('announce what is expected at a terminal, refuse a bad line and ask again', async () => {
    const input = new PassThrough();
    const prompt = new PassThrough();
    let shown = '';
    prompt.setEncoding('utf8').on('data', (c: string) => (shown += c));
    const lines = lineInputs(input, prompt);
    const first = lines.inputs(request);
    input.write('yes please\n');
    input.write('2\n');
    await expect(first).resolves.toEqual({ kind: 'dtmf', keys: '2' });
    expect(shown).toContain('(1 or 2; keys, noinput, help or hangup; Enter = noinput) > ');
    expect(shown).toContain('input "yes please" is neither keys');
    lines.close();
  });

  it('read one input per line, several with commas, an empty line as silence, and nothing after the end', async () => {
    const input = new PassThrough();
    const lines = lineInputs(input);
    input.end('1,hangup\n\nhelp\n');
    expect(await lines.inputs(request)).toEqual({ kind: 'dtmf', keys: '1' });
    expect(await lines.inputs(request)).toEqual({ kind: 'hangup' });
    expect(await lines.inputs(request)).toEqual({ kind: 'noinput' });
    expect(await lines.inputs(request)).toEqual({ kind: 'help' });
    expect(await lines.inputs(request)).toBeUndefined();
  });

  it('throw on a bad line when nobody can be asked again', async () => {
    const input = new PassThrough();
    const lines = lineInputs(input);
    input.end('press one\n');
    await expect(lines.inputs(request)).rejects.toThrow('input "press one" is neither keys');
  });
});

// ---------------------------------------------------------------------------------------
// Whole calls through the CLI, against hand-written VoiceXML on a plain web server.

describe('npm run simulate', () => {
  let fixtures: FixtureServer;
  beforeAll(async () => {
    fixtures = await startFixtureServer({ dir: FIXTURES });
  });
  afterAll(() => fixtures.close());

  it('prints --help and exits 0', async () => {
    const { code, stdout } = await simulate(['--help']);
    expect(stdout).toContain('Usage: npm run simulate -- --url <start URL> [options]');
    expect(stdout).toContain('added to\n                        the start URL\'s query as "dnis"');
    expect(code).toBe(0);
  }, 30_000);

  it('exits 2 on a usage error, naming the flag', async () => {
    const { code, stdout, stderr } = await simulate(['--url', 'http://x/start', '--method', 'put']);
    expect(stderr).toBe('simulate: --method: must be get or post\nRun with --help for the options.\n');
    expect(stdout).toBe('');
    expect(code).toBe(2);
  }, 30_000);

  it('exits 2 when --validate has no schema, saying where to get it', async () => {
    const { code, stderr } = await simulate(['--url', `${fixtures.baseUrl}/menu.vxml`, '--input', '1', '--validate', '--schema-dir', FIXTURES]);
    expect(stderr).toContain(`simulate: --validate: the W3C VoiceXML 2.1 schema is not in ${FIXTURES}`);
    expect(stderr).toContain('https://www.w3.org/TR/voicexml21/');
    expect(code).toBe(2);
  }, 30_000);

  it('prints the transcript of a call that ends normally, and exits 0', async () => {
    const { code, stdout } = await simulate([
      '--url',
      `${fixtures.baseUrl}/menu.vxml`,
      '--dnis',
      '+18005550100',
      '--ani',
      '+16175551234',
      '--input',
      'noinput,2',
    ]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/menu\.vxml\?dnis=%2B18005550100&ani=%2B16175551234 -> 200 \(\d+ ms\)$/);
    expect(stdout).toContain('  say: "Press 1 for sales, or 2 for support."');
    expect(stdout).toContain('  listen: menu.choice, expecting 1 | 2');
    expect(stdout).toContain('> caller stays silent');
    expect(stdout).toContain('  event: noinput');
    expect(stdout).toContain('  say: "Sorry, I didn\'t hear you."');
    expect(stdout).toContain('> caller presses 2');
    expect(stdout).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/chosen\.vxml\?choice=2 -> 200/m);
    expect(stdout).toContain('  say: "Thank you. Goodbye."');
    expect(lines.at(-1)).toBe('end: exit result=routed');
    expect(code).toBe(0);
    expect(fixtures.requests.map((r) => r.url)).toContain('/chosen.vxml?choice=2');
  }, 30_000);

  it('prints the outcome as one JSON object with --json', async () => {
    const { code, stdout } = await simulate(['--url', `${fixtures.baseUrl}/menu.vxml`, '--input', '1', '--json']);
    const outcome = JSON.parse(stdout) as CallOutcome;
    expect(outcome).toMatchObject({ reason: 'exit', normal: true, values: { result: 'routed' } });
    expect(outcome.documents).toEqual([`${fixtures.baseUrl}/menu.vxml`, `${fixtures.baseUrl}/chosen.vxml?choice=1`]);
    expect(outcome.transcript[0]).toMatchObject({ kind: 'fetch', method: 'GET', url: `${fixtures.baseUrl}/menu.vxml`, status: 200 });
    expect(outcome.transcript).toContainEqual({ kind: 'input', input: { kind: 'dtmf', keys: '1' } });
    expect(outcome.transcript.at(-1)).toMatchObject({ kind: 'end', reason: 'exit' });
    expect(code).toBe(0);
  }, 30_000);

  it('exits 1 when the call ends in error.badfetch', async () => {
    const { code, stdout } = await simulate(['--url', `${fixtures.baseUrl}/badfetch.vxml`, '--input', '']);
    expect(stdout).toContain('  say: "One moment."');
    expect(stdout).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/missing\.vxml -> 404/m);
    expect(stdout).toMatch(/^end: error error\.badfetch/m);
    expect(code).toBe(1);
  }, 30_000);

  it('exits 1 when the inputs run out while the browser listens', async () => {
    const { code, stdout } = await simulate(['--url', `${fixtures.baseUrl}/menu.vxml`, '--input', '']);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('end: input-exhausted');
    expect(code).toBe(1);
  }, 30_000);

  it('reads the inputs from stdin, one per line, an empty line being silence', async () => {
    const { code, stdout } = await simulate(['--url', `${fixtures.baseUrl}/menu.vxml`], '\n1\n');
    expect(stdout).toContain('> caller stays silent');
    expect(stdout).toContain('> caller presses 1');
    expect(stdout).toContain('end: exit result=routed');
    // Piped, nobody is at a terminal: no question is printed.
    expect(stdout).not.toContain('Enter = noinput');
    expect(code).toBe(0);
  }, 30_000);

  // Without the schema these show as skipped, and test/helpers/schema-notice.ts says why.
  (schemaAvailable ? describe : describe.skip)('--validate', () => {
    it('passes valid documents, and exits 1 on a document the W3C schema refuses though it runs', async () => {
      const valid = await simulate(['--url', `${fixtures.baseUrl}/menu.vxml`, '--input', '1', '--validate']);
      expect(valid.stdout).not.toContain('not valid');
      expect(valid.code).toBe(0);

      const url = `${fixtures.baseUrl}/srgs-namespace.vxml`;
      const unchecked = await simulate(['--url', url, '--input', '1']);
      expect(unchecked.stdout).toContain('end: exit');
      expect(unchecked.code).toBe(0);

      const checked = await simulate(['--url', url, '--input', '1', '--validate', '--schema-dir', SCHEMA_DIR]);
      expect(checked.stdout).toContain(`! not valid VoiceXML 2.1: ${url}`);
      expect(checked.stdout).toContain("Element '{http://www.w3.org/2001/06/grammar}grammar': This element is not expected.");
      expect(checked.stderr).toContain('simulate: 1 document(s) not valid VoiceXML 2.1');
      expect(checked.code).toBe(1);
    }, 60_000);
  });
});

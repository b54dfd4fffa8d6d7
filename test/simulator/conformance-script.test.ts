/**
 * Conformance: variables, scopes and executable content (VoiceXML 2.0 sections 4.1.4, 5.1
 * and 5.3). Documents: fixtures/conformance/script.
 */
import {
  call,
  eventNames,
  logs,
  pathOf,
  recognitions,
  requestsDuring,
  speech,
  startConformanceServer,
  type FixtureServer,
} from '../helpers/conformance-harness';

let server: FixtureServer;
beforeAll(async () => {
  server = await startConformanceServer();
});
afterAll(() => server.close());

describe('var, assign, value', () => {
  // 5.3.1 <var> (without expr the variable is undefined), 5.3.2 <assign>, 4.1.4 <value>
  // renders the expression's value in a prompt.
  test('variables declared, assigned and spoken', async () => {
    const o = await call(server, '/script/vars.vxml');
    expect(speech(o)).toBe('Hello 42. undefined.');
    expect(o.reason).toBe('document-end');
  });

  // 5.3.2: "It is illegal to make an assignment to a variable that has not been explicitly
  // declared using a <var> element or a var statement within a <script>. Attempting to
  // assign to an undeclared variable causes an error.semantic event to be thrown."
  test('assigning an undeclared variable throws error.semantic', async () => {
    const o = await call(server, '/script/undeclared.vxml');
    expect(speech(o)).toBe('Semantic error caught.');
    expect(eventNames(o)).toContain('error.semantic');
    expect(o.reason).toBe('exit');
  });

  // 5.1.1/5.1.3: variables must be declared before use; an expression reading an
  // undeclared variable fails with error.semantic.
  test('reading an undeclared variable throws error.semantic', async () => {
    const o = await call(server, '/script/undeclared-read.vxml');
    expect(speech(o)).toBe('Read error caught.');
    expect(eventNames(o)).toContain('error.semantic');
  });

  // 4.1.3 <audio> with alternate content; the project shows audio as "[audio src]" followed
  // by the fallback text (the src may be shown resolved).
  test('audio in a prompt shows its source and fallback text', async () => {
    const o = await call(server, '/script/audio.vxml');
    expect(speech(o)).toMatch(/^\[audio [^\]]*hello\.wav\] Hello there$/);
  });
});

describe('script', () => {
  // 5.3.12 <script>: a document-level script runs at document initialization, its
  // functions are available to later expressions; a script with src is fetched (relative to
  // the document) and run in the same scope; form-level scripts run at form initialization
  // in the dialog scope and block scripts in the block's anonymous scope.
  test('document functions, script src, form and block scripts', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/script/functions.vxml'));
    expect(speech(o)).toBe('42 10 HI.');
    expect(requests.map(pathOf)).toContain('/script/lib/util.js');
  });

  // 5.3.12 says nothing of scripts that never return. Mainstream platforms bound script
  // execution and raise error.semantic (or a platform error.* event); with nothing catching
  // it, 5.2.5 ("error: exit interpreter") ends the call — it must not hang.
  test('an endless loop in a script ends the call with reason error, not a hang', async () => {
    const started = Date.now();
    const o = await call(server, '/script/loop.vxml', [], { scriptTimeoutMs: 200 });
    expect(o.reason).toBe('error');
    expect(o.normal).toBe(false);
    expect(o.event).toMatch(/^error/);
    expect(speech(o)).not.toContain('Never reached.');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('if / elseif / else (5.3.4)', () => {
  test.each([
    ['1', 'Branch one.'],
    ['2', 'Branch two.'],
    ['3', 'Branch other.'],
  ])('key %s runs %s', async (key, heard) => {
    const o = await call(server, '/script/branches.vxml', [key]);
    expect(speech(o)).toBe(`Key? ${heard}`);
  });
});

describe('clear (5.3.3)', () => {
  // "namelist: the list of variables to be reset"; other variables keep their values.
  test('clear namelist resets only the named variables', async () => {
    const o = await call(server, '/script/clear.vxml');
    expect(speech(o)).toBe('undefined undefined z.');
  });

  // "If the namelist is absent, all form items in the current form are cleared" — the FIA
  // then visits the field (and the block) again; plain <var>s of the form are not form
  // items and keep their values.
  test('clear without namelist clears every form item of the form', async () => {
    const o = await call(server, '/script/clear-all.vxml', ['1', '1']);
    expect(speech(o)).toBe('Ask. Clearing. Ask. Variable kept.');
    expect(recognitions(o)).toHaveLength(2);
  });
});

describe('log (5.3.13, VoiceXML 2.1 expr)', () => {
  test('log with label and content, and log with expr', async () => {
    const o = await call(server, '/script/log.vxml');
    expect(logs(o).map((l) => ({ label: l.label, text: l.text.replace(/\s+/g, ' ').trim() }))).toEqual([
      { label: 'trace', text: 'sum is 2' },
      { label: undefined, text: 'computed 3' },
    ]);
    expect(speech(o)).toBe('Logged.');
  });
});

describe('the scope chain (5.1)', () => {
  // 5.1.4 session variables: session.connection.local.uri is the number called (DNIS) and
  // session.connection.remote.uri the caller's (ANI). Platforms differ on the form (tel:
  // URI or bare digits), so only the digits are checked.
  test('session.connection.local.uri / remote.uri come from dnis / ani', async () => {
    const o = await call(server, '/script/session.vxml', [], { dnis: '8005551234', ani: '6175550000' });
    expect(speech(o)).toMatch(/^Called \S*8005551234 from \S*6175550000\.$/);
  });

  // 5.1.5 application.lastresult$ (interpretation, inputmode, utterance, and the array form
  // lastresult$[0]); 2.3.1 field shadow variables name$.utterance, inputmode, confidence
  // (a number), interpretation. How DTMF utterances are spaced ("4 2" or "42") is platform
  // specific, so the documents strip spaces.
  test('application.lastresult$ and name$ shadow variables', async () => {
    const o = await call(server, '/script/lastresult.vxml', ['42']);
    expect(speech(o)).toBe('Key? forty-two, dtmf, 42, forty-two. 42 dtmf number forty-two.');
  });

  // 5.1.2 scopes and 5.1.3: a name resolves in the innermost scope declaring it (anonymous
  // → dialog → document → application); dialog.x and document.x name a scope explicitly;
  // <var> in a <block> declares in the block's anonymous scope, gone after the block.
  test('anonymous, dialog and document variables shadow each other', async () => {
    const o = await call(server, '/script/shadowing.vxml');
    expect(speech(o)).toBe('dialog! dialog! document. anonymous dialog! document. tmp is undefined.');
  });
});

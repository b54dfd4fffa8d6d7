/**
 * Conformance: the Form Interpretation Algorithm, menus, subdialogs and application root
 * documents. Each test cites the W3C VoiceXML 2.0 (REC 2004-03-16) or 2.1 (REC 2007-06-19)
 * section it checks; the documents are in fixtures/conformance/fia and /app.
 */
import {
  call,
  entries,
  expectInOrder,
  listens,
  occurrences,
  prompts,
  recognitions,
  requestsDuring,
  pathOf,
  speech,
  startConformanceServer,
  type FixtureServer,
} from '../helpers/conformance-harness';

let server: FixtureServer;
beforeAll(async () => {
  server = await startConformanceServer();
});
afterAll(() => server.close());

describe('forms and the FIA main loop', () => {
  // 2.1.6.2.1 (select phase) and Appendix C: the first form item in document order whose
  // guard condition allows it is visited; 2.3.2: the content of a <block> is executable
  // content, bare text in it is a prompt. When no item is left the form (and, without a
  // transition, the document) ends: 2.1.6 "the FIA ends ... an implicit <exit>".
  test('blocks run in document order, then the document ends (golden transcript)', async () => {
    const o = await call(server, '/fia/blocks.vxml');
    expect(prompts(o)).toEqual(['First block.', 'Second block.', 'Third block as plain text.']);
    expect(o.reason).toBe('document-end');
    expect(o.normal).toBe(true);
    expect(o.documents).toEqual([`${server.baseUrl}/fia/blocks.vxml`]);
    expect(entries(o, 'end')).toHaveLength(1);
    expect(listens(o)).toHaveLength(0);
  });

  // 2.1.4 directed forms: fields are asked one after another, in document order; 2.3.1: the
  // field's form item variable receives the interpretation of its grammar.
  test('a directed form asks its fields in order and keeps their values', async () => {
    const o = await call(server, '/fia/directed.vxml', ['2', '12']);
    expect(speech(o)).toBe('Press 1 for small or 2 for large. How many? You ordered 12 large.');
    expect(recognitions(o).map((r) => [r.item, r.interpretation])).toEqual([
      ['size', 'large'],
      ['amount', '12'],
    ]);
    expect(listens(o).map((l) => [l.request.dialog, l.request.item])).toEqual([
      ['order', 'size'],
      ['order', 'amount'],
    ]);
    expect(o.reason).toBe('document-end');
  });

  // 2.1.3 form item guard conditions: an item is visited only if its form item variable is
  // undefined and its cond (if any) is true. 2.3.1/2.3.2 "expr": an initial value other
  // than undefined means the item is not visited. An <assign> to the variable fills it too.
  test('guard conditions: cond false, expr pre-filled and assigned items are skipped', async () => {
    const o = await call(server, '/fia/guards.vxml', []);
    expect(speech(o)).toBe('Color set. Language en, color red.');
    expect(listens(o)).toHaveLength(0);
    expect(o.reason).toBe('document-end');
  });
});

describe('the transcript of a call', () => {
  // Appendix C collect phase and 4.1.8 (prompt queueing): the queued prompts are played when
  // the interpreter waits for input, then the input is recognized and the field's <filled>
  // runs; the document was fetched first and the call ends last.
  test('golden sequence of entry kinds for one question', async () => {
    const o = await call(server, '/transitions/end.vxml', ['1']);
    expect(o.transcript.map((e) => e.kind)).toEqual(['fetch', 'prompt', 'listen', 'input', 'recognition', 'prompt', 'end']);
    expect(o.transcript[0]).toMatchObject({ kind: 'fetch', method: 'GET', status: 200 });
    expect(o.transcript[3]).toEqual({ kind: 'input', input: { kind: 'dtmf', keys: '1' } });
    expect(o.transcript[4]).toMatchObject({ kind: 'recognition', item: 'x', interpretation: '1' });
    expect(o.transcript[6]).toMatchObject({ kind: 'end', reason: 'document-end' });
  });
});

describe('filled', () => {
  // 2.4 and Appendix C (process phase): field-level <filled> runs when its field is
  // filled; a form-level <filled> with the default mode="all" and no namelist runs once
  // every input item of the form is filled and one of them was just filled.
  test('field-level filled after each field, form-level filled after the last one', async () => {
    const o = await call(server, '/fia/filled.vxml', ['1', '2']);
    expect(speech(o)).toBe('Ask A. Got A. Ask B. Got B. Both: 1,2.');
  });

  // 2.4 <filled> mode/namelist: mode="any" runs when any named item was just filled; mode
  // "all" (default) when all named items are filled and at least one was just filled.
  // Several <filled> elements triggered by one input run in document order (Appendix C).
  test('form-level filled with mode any / all and a namelist', async () => {
    const o = await call(server, '/fia/filled-modes.vxml', ['1', '2', '3']);
    expect(speech(o)).toBe('Ask A. Any of A B. Only A. Ask B. Any of A B. Ask C. All of A C.');
  });

  // 2.4: filled actions are triggered by items "just filled" by user input (Appendix C,
  // process phase); a variable set by <assign> counts as filled for mode="all" but does
  // not itself trigger a <filled>.
  test('an item filled by assign counts as filled but triggers no filled', async () => {
    const o = await call(server, '/fia/filled-assign.vxml', ['2']);
    expect(speech(o)).toBe('Ask B. A and B: 9,2.');
    expect(speech(o)).not.toContain('Filled A.');
  });
});

describe('mixed initiative: initial and form-level grammars', () => {
  // 2.1.5 mixed initiative forms, 2.3.3 <initial>, 3.1.6 (mapping semantic results to
  // input items): a form-level grammar may fill several fields in one utterance; each field
  // takes the property of the interpretation named by its slot (default: its name).
  test('one utterance fills two fields through their slots; no field prompt is played', async () => {
    const o = await call(server, '/fia/mixed.vxml', ['12']);
    expect(speech(o)).toBe('Where from and where to? From boston to denver.');
    expect(o.reason).toBe('document-end');
  });

  // 2.3.3: once input has been collected through the <initial>, its form item variable is
  // set and the FIA moves on to the input items still unfilled (directed dialog for the
  // rest); the field's own prompt is then played and the form-level grammar stays active.
  test('a partial answer leaves the FIA to ask for the unfilled field', async () => {
    const o = await call(server, '/fia/mixed.vxml', ['1', '3']);
    expect(speech(o)).toBe('Where from and where to? Where to? From boston to austin.');
    expect(speech(o)).not.toContain('Where from?');
  });
});

describe('prompt selection', () => {
  // 4.1.6 prompt selection: prompts whose cond is false are dropped; the "correct count" is
  // the highest count not greater than the prompt counter; ALL prompts with that count are
  // played (the W3C text says "select all elements in the list with the correct count").
  // The counter starts at 1 on form entry and is incremented each time the item's prompts
  // are queued (Appendix C collect phase), so after the last count the last one repeats.
  test('tapered prompts on reprompt (golden transcript)', async () => {
    const o = await call(server, '/fia/prompt-counts.vxml', ['9', '9', '9', '1']);
    expect(prompts(o).join(' ')).toBe(
      'Welcome. Press 1 to continue. Sorry. Press 1. Sorry. One. Sorry. One. Thanks.',
    );
    expect(speech(o)).not.toContain('Never played.');
    expect(entries(o, 'event').map((e) => e.name)).toEqual(['nomatch', 'nomatch', 'nomatch']);
  });
});

describe('menus', () => {
  // 2.2.1 <menu dtmf="true">: "the first nine choices that have not explicitly specified a
  // value for the dtmf attribute are given the implicit ones 1, 2, etc."; 2.2.4 <enumerate>
  // with a template: _prompt is the choice's text, _dtmf its DTMF sequence.
  test('enumerate template lists every choice with its (implicit or explicit) key', async () => {
    const o = await call(server, '/fia/menu.vxml', ['1']);
    expectInOrder(speech(o), [
      'Main menu.',
      'For Sales, press 1.',
      'For Support, press 2.',
      'For Operator, press 0.',
      'For Billing, press 3.',
      'For Agent, press 4.',
      'Sales desk.',
    ]);
  });

  // 2.2.2 <choice>: next (URI), expr (an expression giving the URI), event/message (an event
  // thrown when chosen, with _message); 2.2.1: an explicit dtmf="0" keeps its key.
  test.each([
    ['2', 'Support desk.'],
    ['0', 'Operator desk.'],
    ['3', 'Billing desk.'],
    ['4', 'Event app.agent with the agent queue.'],
  ])('choosing %s leads to "%s"', async (key, heard) => {
    const o = await call(server, '/fia/menu.vxml', [key]);
    expect(speech(o)).toContain(heard);
    expect(o.normal).toBe(true);
  });

  // 2.2.1/2.2.6: input that matches no choice is a nomatch, handled by the menu's catch.
  test('a key no choice owns is a nomatch; the menu is prompted again', async () => {
    const o = await call(server, '/fia/menu.vxml', ['7', '1']);
    expect(entries(o, 'event').map((e) => e.name)).toContain('nomatch');
    expectInOrder(speech(o), ['Main menu.', 'Not an option.', 'Main menu.', 'Sales desk.']);
    expect(occurrences(speech(o), 'Main menu.')).toBe(2);
  });

  // 2.2.4: an empty <enumerate/> uses a platform default template listing the choices; its
  // wording is platform-specific, so only the choices' texts (in order) are checked.
  test('default enumerate lists the choices in order', async () => {
    const o = await call(server, '/fia/menu-default.vxml', ['2']);
    expectInOrder(speech(o), ['Choose a fruit.', 'Apples', 'Pears', 'Pears chosen.']);
  });
});

describe('subdialogs', () => {
  // 2.3.4 <subdialog>: runs a new dialog in a new execution context (the caller's document
  // variables are not visible); each <param> initializes the subdialog's form-level <var>
  // of the same name instead of its expr; 5.3.10 <return namelist>: the values come back
  // as properties of the subdialog's form item variable, then its <filled> runs.
  test('param in, return namelist out, isolated scope', async () => {
    const { result: o, requests } = await requestsDuring(server, () =>
      call(server, '/fia/sub-caller.vxml', ['1234']),
    );
    expect(speech(o)).toBe('Isolated. Hello caller, enter your PIN. PIN 1234, status ok.');
    expect(o.reason).toBe('exit');
    expect(o.values).toEqual({ pin: '1234' });
    expect(requests.map(pathOf)).toContain('/fia/sub-pin.vxml');
  });

  // 5.3.10 <return event message>: the event is thrown at the <subdialog> element in the
  // calling dialog, with _message; its <filled> does not run.
  test('return with an event throws it in the caller', async () => {
    const o = await call(server, '/fia/sub-event-caller.vxml');
    expect(speech(o)).toBe('Cancelling. Cancelled: caller gave up.');
    expect(o.reason).toBe('exit');
    expect(entries(o, 'event')).toContainEqual(
      expect.objectContaining({ name: 'app.cancelled', message: 'caller gave up' }),
    );
  });

  // 5.3.9 <exit>: "Returns control to the interpreter context which determines what to do"
  // — it ends the whole session, even from inside a subdialog (unlike <return>).
  test('exit inside a subdialog ends the call; the caller does not resume', async () => {
    const o = await call(server, '/fia/sub-exit-caller.vxml');
    expect(speech(o)).toBe('Exiting from the subdialog.');
    expect(o.reason).toBe('exit');
    expect(o.values).toEqual({ where: 'subdialog' });
  });

  // Not specified by W3C (a <return> outside a subdialog): the project's EndReason 'return'
  // says a top-level document written as a subdialog ends the call with its namelist.
  test('a subdialog document run on its own ends with reason return and its values', async () => {
    const o = await call(server, '/fia/sub-pin.vxml', ['4321']);
    expect(o.reason).toBe('return');
    expect(o.normal).toBe(true);
    expect(o.values).toEqual({ pin: '4321', status: 'ok' });
  });
});

describe('application root documents', () => {
  // 1.5.2 (application root document), 5.1.2 (application scope): the root's variables and
  // scripts are shared by every leaf of the application and persist across transitions
  // between leaves; an unqualified name resolves through the scope chain to application.
  // 5.2.4: catches in the root are inherited by the leaves ("application root document"
  // scope of the catch selection list).
  test('application variables, functions and catches are shared between leaves', async () => {
    const o = await call(server, '/app/leaf1.vxml');
    expect(speech(o)).toBe('Hi leaf one. Visits 2. Root caught app.oops.');
    expect(o.reason).toBe('exit');
    expect(o.documents.map((u) => new URL(u).pathname)).toEqual(
      expect.arrayContaining(['/app/leaf1.vxml', '/app/root.vxml', '/app/leaf2.vxml']),
    );
  });
});

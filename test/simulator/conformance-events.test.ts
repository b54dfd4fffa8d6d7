/**
 * Conformance: event handling (VoiceXML 2.0 section 5.2) — catch selection by name, count,
 * cond and scope, event counters, _event/_message, throw, and the platform's default
 * handlers. Documents: fixtures/conformance/events (and /app/root.vxml as application root).
 */
import {
  call,
  entries,
  eventNames,
  expectInOrder,
  logs,
  occurrences,
  sequenceOf,
  speech,
  startConformanceServer,
  type FixtureServer,
} from '../helpers/conformance-harness';

let server: FixtureServer;
beforeAll(async () => {
  server = await startConformanceServer();
});
afterAll(() => server.close());

describe('catch selection by count (5.2.2, 5.2.4)', () => {
  // 5.2.4 step 3: "the correct count: the highest count among the catch elements still on
  // the list less than or equal to the current count value". Count defaults to 1.
  test('noinput: counts 1, 2 → count-1 handler; 3, 4 → count-3 handler', async () => {
    const o = await call(server, '/events/counts.vxml', ['noinput', 'noinput', 'noinput', 'noinput', '1']);
    expect(sequenceOf(speech(o), ['Noinput one.', 'Noinput three.'])).toEqual([
      'Noinput one.',
      'Noinput one.',
      'Noinput three.',
      'Noinput three.',
    ]);
    expect(eventNames(o).filter((n) => n === 'noinput')).toHaveLength(4);
    expect(speech(o).endsWith('Got it.')).toBe(true);
  });

  // 5.2.2 / 5.2.3 <help> shorthand; the caller's "help" raises the help event (5.2.6).
  test('help: count selection over repeated help requests', async () => {
    const o = await call(server, '/events/counts.vxml', ['help', 'help', 'help', '1']);
    expect(eventNames(o).filter((n) => n === 'help')).toHaveLength(3);
    expect(sequenceOf(speech(o), ['Help one.', 'Help two.'])).toEqual(['Help one.', 'Help two.', 'Help two.']);
  });

  // 5.2.2 count: "each form item maintains a counter for each event": counters are kept per
  // event name, so help does not advance the noinput counter.
  test('each event has its own counter', async () => {
    const o = await call(server, '/events/counts.vxml', ['noinput', 'help', 'noinput', 'noinput', '1']);
    expect(sequenceOf(speech(o), ['Noinput one.', 'Noinput three.', 'Help one.', 'Help two.'])).toEqual([
      'Noinput one.',
      'Help one.',
      'Noinput one.',
      'Noinput three.',
    ]);
  });

  // 5.2.4 + 5.2.5: the interpreter context's default catches are the outermost scope of the
  // list (with count 1). On the first nomatch the field's only nomatch (count 2) is too
  // high, so the platform default (reprompt) handles it; the second nomatch selects it.
  test('no catch with a low enough count: the platform default handles the event', async () => {
    const o = await call(server, '/events/counts.vxml', ['9', '9', '1']);
    expect(occurrences(speech(o), 'Nomatch two.')).toBe(1);
    expect(occurrences(speech(o), 'Enter one.')).toBe(3);
    expectInOrder(speech(o), ['Enter one.', 'Enter one.', 'Nomatch two.', 'Enter one.', 'Got it.']);
  });

  // 5.2.4 step 1: the list is ordered by scope (form item, form, document, application root,
  // interpreter) and the correct count is computed over ALL scopes, so a higher count in an
  // outer scope beats a lower count in an inner one; among equal counts the innermost wins
  // (the document's count-1 catch is never selected: the field's comes first).
  test('counts across field, form, document and application scopes', async () => {
    const o = await call(server, '/events/scopes.vxml', ['9', '9', '9', '9']);
    expect(
      sequenceOf(speech(o), ['Field one.', 'Form two.', 'Document one.', 'Document three.', 'Application nomatch four.']),
    ).toEqual(['Field one.', 'Form two.', 'Document three.', 'Application nomatch four.']);
    expect(o.reason).toBe('exit');
  });
});

describe('catch selection by name and cond', () => {
  // 5.2.2/5.2.4: "A prefix match occurs when the catch element event attribute is a token
  // prefix of the name of the event being thrown, where the dot is the token separator" —
  // "app.b" does not catch "app.bc" but does catch "app.b.c"; within a scope the first
  // matching catch in document order is selected.
  test('prefix matching works on whole tokens', async () => {
    const o = await call(server, '/events/prefix.vxml');
    expect(speech(o)).toBe('Caught app for app.bc. Caught app.b for app.b.c.');
    expect(eventNames(o)).toEqual(expect.arrayContaining(['app.bc', 'app.b.c']));
    expect(o.reason).toBe('exit');
  });

  // 5.2.2 + 5.2.6: catch event="error" catches error.badfetch (and its more specific forms
  // such as error.badfetch.http.404, which 5.2.6 lets platforms throw); _event holds the
  // full name of the event thrown.
  test('catch event="error" catches the error.badfetch of a missing document', async () => {
    const o = await call(server, '/events/error-prefix.vxml');
    expect(speech(o)).toBe('Error caught.');
    const logged = logs(o).find((l) => l.label === 'event');
    expect(logged?.text).toMatch(/^error\.badfetch/);
    expect(eventNames(o).some((n) => n.startsWith('error.badfetch'))).toBe(true);
    expect(o.reason).toBe('exit');
  });

  // 5.2.4 step 2: catches whose cond evaluates to false are removed from the list.
  test.each([
    ['1', 'VIP handler.'],
    ['2', 'Standard handler.'],
  ])('cond on catch: tier %s → %s', async (key, heard) => {
    const o = await call(server, '/events/cond.vxml', [key]);
    expect(speech(o)).toBe(`Tier? ${heard}`);
  });
});

describe('throw, _event and _message (5.2.1, 5.2.2)', () => {
  // 5.2.1 <throw>: event/eventexpr name the event, message/messageexpr add a message; in
  // the catch, _event is the event's name and _message its message.
  test('throw event/message and eventexpr/messageexpr', async () => {
    const o = await call(server, '/events/message.vxml');
    expect(speech(o)).toBe('Caught app.custom with the details. Caught app.dynamic with code 42.');
    expect(entries(o, 'event')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'app.custom', message: 'the details' }),
        expect.objectContaining({ name: 'app.dynamic', message: 'code 42' }),
      ]),
    );
  });
});

describe('event counters', () => {
  // 5.2.2 count: "these counters are reset each time the menu or form item's form is
  // re-entered". Without the reset the third miss would select count 2 again.
  test('counters are reset when the form is entered again', async () => {
    const o = await call(server, '/events/reset.vxml', ['9', '9', '9', '9', '1']);
    expect(sequenceOf(speech(o), ['Miss one.', 'Miss two.'])).toEqual(['Miss one.', 'Miss two.', 'Miss one.', 'Miss two.']);
    expect(speech(o).endsWith('Done.')).toBe(true);
  });

  // 5.3.3 <clear>: clearing a form item variable also resets the item's prompt counter
  // and event counters. After the clear the count-1 catch and the count-1 prompt are
  // selected again (4.1.6 for the prompts).
  test('clear resets the event and prompt counters of the item', async () => {
    const o = await call(server, '/events/clear-counters.vxml', ['9', '9', '9', '9', '1']);
    expect(sequenceOf(speech(o), ['Miss one.', 'Miss two.'])).toEqual(['Miss one.', 'Miss two.', 'Miss one.', 'Miss two.']);
    expect(sequenceOf(speech(o), ['Ask full.', 'Ask short.'])).toEqual([
      'Ask full.',
      'Ask short.',
      'Ask full.',
      'Ask short.',
      'Ask short.',
    ]);
  });

  // 5.2.2 count: "Counters are incremented against the full event name and every prefix
  // matching event name" — app.err.one then app.err.two make the app.err counter 2.
  test('counters count every prefix of the event name', async () => {
    const o = await call(server, '/events/prefix-counter.vxml', ['1', '2']);
    expect(speech(o)).toBe('Key? First app error. Second app error.');
    expect(o.reason).toBe('exit');
  });
});

describe('reprompt and catches without it', () => {
  // 5.3.6 <reprompt> and Appendix C: "the FIA does not perform the normal selection and
  // queuing of prompts on the next iteration following the execution of a catch element"
  // unless the catch executed <reprompt>. The prompt counter is not incremented by that
  // silent iteration (4.1.6), so the later reprompt plays the count-2 prompt.
  test('a catch without reprompt does not replay the prompts', async () => {
    const o = await call(server, '/events/no-reprompt.vxml', ['9', 'noinput', '1']);
    expect(speech(o)).toBe('Enter the code. Try again. Still there? Code please. Accepted.');
    // the field still listened after the silent iteration
    expect(entries(o, 'listen')).toHaveLength(3);
  });
});

describe('default catch handlers (5.2.5)', () => {
  // 5.2.5 table: noinput, nomatch and help → "reprompt" (a platform may say something first,
  // so only the replayed prompt is counted).
  test.each([['noinput'], ['9'], ['help']])('default handler for %s reprompts', async (first) => {
    const o = await call(server, '/events/defaults.vxml', [first, '1']);
    expect(occurrences(speech(o), 'Pick one.')).toBe(2);
    expect(speech(o).endsWith('Picked.')).toBe(true);
    expect(o.reason).toBe('document-end');
    expect(o.normal).toBe(true);
  });

  // 5.2.5: error.* with no handler → "exit interpreter" (the platform may play a message
  // first); the project reports this as reason 'error' with the event.
  test('an uncaught error.semantic ends the call with reason error', async () => {
    const o = await call(server, '/events/default-error.vxml');
    expect(o.reason).toBe('error');
    expect(o.normal).toBe(false);
    expect(o.event).toMatch(/^error\.semantic/);
    expect(speech(o)).not.toContain('Never reached.');
  });

  // 5.2.5: connection.disconnect.hangup → "exit interpreter", which ends the call normally
  // (the caller left; nothing went wrong).
  test('an uncaught hang-up ends the call normally', async () => {
    const o = await call(server, '/events/defaults.vxml', ['hangup']);
    expect(o.reason).toBe('hangup');
    expect(o.normal).toBe(true);
    expect(eventNames(o)).toContain('connection.disconnect.hangup');
  });
});

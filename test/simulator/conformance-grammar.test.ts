/**
 * Conformance: caller input — builtin grammars (VoiceXML 2.0 Appendix P), inline and
 * external SRGS DTMF grammars with SISR tags (3.1, SRGS 1.0, SISR 1.0), the DTMF termchar
 * (6.3.3), hang-up and help, and running out of scripted input. Documents:
 * fixtures/conformance/grammar.
 */
import {
  call,
  entries,
  eventNames,
  listens,
  logs,
  pathOf,
  recognitions,
  requestsDuring,
  speech,
  startConformanceServer,
  vxmlRoute,
  type FixtureServer,
} from '../helpers/conformance-harness';

let server: FixtureServer;
beforeAll(async () => {
  server = await startConformanceServer({
    '/grammar/hangup-log': vxmlRoute(() => `<form id="logged"><block><exit/></block></form>`),
  });
});
afterAll(() => server.close());

describe('builtin grammars (Appendix P)', () => {
  // Appendix P "digits": parameters minlength, maxlength and length; "the result is a
  // string of digits". Input outside the lengths does not match: nomatch.
  test('digits?minlength=3;maxlength=5 rejects 2 and 6 digits, accepts 4', async () => {
    const o = await call(server, '/grammar/digits.vxml', ['12', '123456', '1234']);
    expect(speech(o)).toBe('Code? Wrong length. Code? Wrong length. Code? Code 1234.');
    expect(eventNames(o).filter((n) => n === 'nomatch')).toHaveLength(2);
    expect(recognitions(o)).toEqual([expect.objectContaining({ item: 'code', interpretation: '1234' })]);
  });

  // Appendix P: builtin grammars referenced by URI, "builtin:dtmf/digits?length=4".
  test('builtin:dtmf/digits?length=4 by URI', async () => {
    const o = await call(server, '/grammar/digits-length.vxml', ['123', '1234']);
    expect(speech(o)).toBe('PIN? Four digits please. PIN? PIN 1234.');
  });

  // Appendix P "boolean": "DTMF 1 is affirmative and 2 is negative. The result is
  // ECMAScript true for affirmative or false for negative."
  test.each([
    ['1', 'yes boolean.'],
    ['2', 'no boolean.'],
  ])('boolean: %s → %s', async (key, heard) => {
    const o = await call(server, '/grammar/boolean.vxml', [key]);
    expect(speech(o)).toBe(`Confirm? ${heard}`);
    expect(recognitions(o)[0]?.interpretation).toBe(key === '1');
  });

  test('boolean: other keys do not match', async () => {
    const o = await call(server, '/grammar/boolean.vxml', ['3', '1']);
    expect(speech(o)).toBe('Confirm? One or two. Confirm? yes boolean.');
  });

  // Appendix P "number": DTMF digits with "*" as the decimal point. Whether the result is a
  // string or a Number varies (the document only multiplies it).
  test.each([
    ['21', 'double 42.'],
    ['12*5', 'double 25.'],
  ])('number: %s → %s', async (keys, heard) => {
    const o = await call(server, '/grammar/number.vxml', [keys]);
    expect(speech(o)).toBe(`Number? ${heard}`);
  });
});

describe('inline SRGS DTMF grammars', () => {
  // SRGS 1.0 one-of / item, DTMF tokens (including "*"); SISR 1.0 tags assign out; 3.1.6:
  // a field-level grammar's interpretation (here a string) becomes the field's value.
  test.each([
    ['1', 'sales'],
    ['2', 'support'],
    ['*9', 'operator'],
  ])('one-of with tags: %s → %s', async (keys, dept) => {
    const o = await call(server, '/grammar/inline.vxml', [keys]);
    expect(speech(o)).toBe(`Department? Department ${dept}.`);
    expect(recognitions(o)).toEqual([expect.objectContaining({ item: 'dept', interpretation: dept })]);
  });

  test('input outside the grammar is a nomatch', async () => {
    const o = await call(server, '/grammar/inline.vxml', ['3', '2']);
    expect(eventNames(o)).toContain('nomatch');
    expect(speech(o)).toBe('Department? No such department. Department? Department support.');
  });

  // SRGS 1.0 2.5 repeat="m-n" and 2.2 ruleref to a local rule.
  test.each([
    ['12', true],
    ['1234', true],
    ['1', false],
    ['12345', false],
  ])('item repeat="2-4" with a ruleref: %s matches? %s', async (keys, matches) => {
    const o = await call(server, '/grammar/repeat.vxml', [keys, '99']);
    const accepted = matches ? keys : '99';
    expect(speech(o).endsWith(`Accepted ${accepted}.`)).toBe(true);
    expect(speech(o).includes('Rejected.')).toBe(!matches);
    // without tags the interpretation is the matched text (SISR 1.0 default)
    expect(String(recognitions(o)[0]?.interpretation).replace(/\s/g, '')).toBe(accepted);
  });

  // SISR 1.0: rules.<name> is the value of the referenced rule; properties of out build an
  // object. 3.1.6: when the interpretation has no property named after the field's slot the
  // whole object is the field's value.
  test('ruleref + SISR tags produce an object interpretation', async () => {
    const o = await call(server, '/grammar/sisr.vxml', ['23']);
    expect(speech(o)).toBe('Product and quantity? 3 coffee number.');
    expect(recognitions(o)[0]?.interpretation).toEqual({ product: 'coffee', qty: 3 });
  });

  // 3.1.1.2 / 3.1.2: an external SRGS grammar (application/srgs+xml) fetched by src,
  // relative to the document.
  test('external grammar by relative src', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/grammar/external.vxml', ['2']));
    expect(speech(o)).toBe('Yes or no? Answer no.');
    expect(requests.map(pathOf)).toContain('/grammar/yesno.grxml');
  });

  // Browsers cache grammars: listening again (here after a nomatch) does not fetch it again.
  test('an external grammar is fetched once per call, however often the field listens', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/grammar/external.vxml', ['9', '2']));
    expect(o.transcript.filter((e) => e.kind === 'event' && e.name === 'nomatch')).toHaveLength(1);
    expect(speech(o)).toContain('Answer no.');
    expect(requests.map(pathOf).filter((p) => p === '/grammar/yesno.grxml')).toHaveLength(1);
  });
});

describe('termchar (6.3.3)', () => {
  // 6.3.3 termchar (default "#"): "the terminating DTMF character for DTMF input
  // recognition"; it ends the input and is not part of the utterance.
  test('# ends the input and is not part of the value', async () => {
    const o = await call(server, '/grammar/termchar.vxml', ['6175551234#', '123#']);
    expect(speech(o)).toBe('Phone? Code? Phone 6175551234, code 123.');
    expect(recognitions(o).map((r) => r.item)).toEqual(['phone', 'code']);
    expect(recognitions(o)[0]?.interpretation).toBe('6175551234');
  });
});

describe('hang-up, help and the end of the script', () => {
  // 5.2.6 connection.disconnect.hangup, 5.2.5 default: exit — a normal end of the call.
  test('hang-up with no handler: reason hangup, normal', async () => {
    const o = await call(server, '/grammar/hangup.vxml', ['hangup']);
    expect(eventNames(o)).toContain('connection.disconnect.hangup');
    expect(o.reason).toBe('hangup');
    expect(o.normal).toBe(true);
  });

  // 5.2.6 / 5.2.2: the document may catch the hang-up for post-call processing — typically a
  // submit of what it knows to the server (still allowed after the caller left).
  test('a caught hang-up can log and submit before the call ends', async () => {
    const { result: o, requests } = await requestsDuring(server, () =>
      call(server, '/grammar/hangup-handled.vxml', ['hangup']),
    );
    expect(logs(o)).toContainEqual(expect.objectContaining({ label: 'cleanup', text: 'caller left at menu' }));
    const report = requests.find((r) => pathOf(r) === '/grammar/hangup-log');
    expect(report?.method).toBe('POST');
    expect(report?.body).toBe('stage=menu');
    expect(o.reason).toBe('exit');
    expect(o.normal).toBe(true);
  });

  // 5.2.6 help: "the user has asked for help" — the simulator's "help" input raises it.
  test('help input raises the help event', async () => {
    const o = await call(server, '/events/counts.vxml', ['help', '1']);
    expect(entries(o, 'event')[0]?.name).toBe('help');
    expect(speech(o)).toBe('Enter one. Help one. Enter one. Got it.');
  });

  // The project's InputSource contract: no more scripted input while listening ends the call
  // with 'input-exhausted' (not a VoiceXML event, so no handler runs).
  test('running out of inputs ends with input-exhausted', async () => {
    const o = await call(server, '/fia/directed.vxml', ['2']);
    expect(o.reason).toBe('input-exhausted');
    expect(o.normal).toBe(false);
    expect(listens(o).map((l) => l.request.item)).toEqual(['size', 'amount']);
    expect(listens(o)[1]?.request.expecting.length).toBeGreaterThan(0);
  });
});

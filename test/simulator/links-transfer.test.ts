import path from 'node:path';
import { parseInput, scriptedInputs } from '../../src/simulator/inputs';
import { simulateCall } from '../../src/simulator/simulate';
import type { CallOutcome } from '../../src/simulator/types';
import { startFixtureServer, type FixtureServer } from '../helpers/fixture-server';

// <link> (VoiceXML 2.0 §2.5) and <transfer> (§2.3.7), on hand-written documents served by a
// plain web server.
let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer({ dir: path.join(__dirname, 'fixtures/engine') });
});
afterAll(() => server.close());

function call(file: string, inputs: string[]): Promise<CallOutcome> {
  return simulateCall({ url: `${server.baseUrl}/${file}`, inputs: scriptedInputs(inputs.map(parseInput)) });
}

const heard = (o: CallOutcome) => o.transcript.flatMap((e) => (e.kind === 'prompt' ? [e.text] : []));

describe('links', () => {
  test('a document link with next is active while a field listens, after the field grammar', async () => {
    const o = await call('link.vxml', ['0']);
    const listen = o.transcript.find((e) => e.kind === 'listen');
    expect(listen).toMatchObject({ request: { expecting: ['digits (3)', '0', '9', '8'] } });
    expect(heard(o)).toEqual(['Three digits, or 0 for an operator.', 'Transferring.', 'Result far_end_disconnect.']);
    expect(o.reason).toBe('disconnect');
  });

  test('a link with event throws it in the current form item, caught by the document', async () => {
    const o = await call('link.vxml', ['9']);
    expect(o.transcript).toContainEqual({ kind: 'event', name: 'custom.quit', message: 'quitting' });
    expect(heard(o)).toEqual(['Three digits, or 0 for an operator.', 'Bye.']);
    expect(o.reason).toBe('exit');
  });

  test("the application root's link works in a leaf document", async () => {
    const o = await call('link.vxml', ['8', '123']);
    expect(heard(o)).toEqual(['Three digits, or 0 for an operator.', 'Three digits, or 0 for an operator.', 'Got 123.']);
    expect(o.documents.filter((d) => d.endsWith('/link.vxml'))).toHaveLength(2);
    expect(o.reason).toBe('document-end');
  });

  test('keys the field grammar takes never reach a link', async () => {
    const o = await call('link.vxml', ['123']);
    expect(o.transcript).toContainEqual(expect.objectContaining({ kind: 'recognition', item: 'n', interpretation: '123' }));
    expect(o.reason).toBe('document-end');
  });
});

describe('transfer', () => {
  test('a bridged transfer plays its prompts and reports that the far end hung up', async () => {
    const o = await call('link.vxml', ['0']);
    expect(o.transcript).toContainEqual({ kind: 'log', label: 'transfer', text: 'transfer to tel:+18005550000' });
    expect(heard(o)).toContain('Result far_end_disconnect.');
  });

  test('a blind transfer leaves the browser with connection.disconnect.transfer', async () => {
    const o = await call('blind.vxml', []);
    expect(heard(o)).toEqual(['Putting you through.']);
    expect(o.transcript).toContainEqual(expect.objectContaining({ kind: 'event', name: 'connection.disconnect.transfer' }));
    expect(o).toMatchObject({ reason: 'disconnect', normal: true });
  });
});

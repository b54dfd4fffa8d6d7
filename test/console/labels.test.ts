import fs from 'node:fs';
import path from 'node:path';
import { IvrCaller } from '../helpers/ivr-caller';
import type { TestServer } from '../helpers/server';
import {
  CALL_STATE_LABELS,
  ERROR_LABELS,
  EVENT_LABELS,
  FALLBACK_LABELS,
  label,
  MESSAGE_STATUS_LABELS,
  NUMBER_PROBLEM_LABELS,
  REASON_LABELS,
} from '../../src/console/labels';
import { EVENT_TYPES, STATUS_RANK } from '../../src/store/port';
import { signIn, startConsole } from './helpers';

/**
 * Every code the console can show has words: the event types and statuses (runtime lists),
 * and the string unions declared in the source (read from the files themselves, so a code
 * added there without a label fails here, not only in the type check).
 */

const SRC = path.resolve(__dirname, '../../src');

/** The quoted members of `export type <name> = | 'a' | 'b' ...;` in a source file. */
function unionMembers(file: string, name: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const body = new RegExp(`export type ${name} =([\\s\\S]*?);`).exec(text)?.[1];
  if (!body) throw new Error(`no type ${name} in ${file}`);
  // Comments may quote codes too: only the union's own lines count.
  const code = body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return [...code.matchAll(/'([a-z-]+)'/g)].map((m) => m[1] ?? '');
}

const isWords = (text: string, code: string) => text.length > 0 && text !== code && /^[A-Z]/.test(text);

describe('human labels', () => {
  it.each([
    ['event types (store/port EVENT_TYPES)', [...EVENT_TYPES], EVENT_LABELS],
    ['message statuses (store/port STATUS_RANK)', Object.keys(STATUS_RANK), MESSAGE_STATUS_LABELS],
    ['delivery statuses (sms/port DeliveryStatus)', unionMembers('sms/port.ts', 'DeliveryStatus'), MESSAGE_STATUS_LABELS],
    ['permanent send failures (sms/port PermanentReason)', unionMembers('sms/port.ts', 'PermanentReason'), ERROR_LABELS],
    ['call states (store/port CallState)', unionMembers('store/port.ts', 'CallState'), CALL_STATE_LABELS],
    ['fallback reasons (store/port FallbackWhy)', unionMembers('store/port.ts', 'FallbackWhy'), FALLBACK_LABELS],
    ['offer skips (deflection/offer-rules SkipReason)', unionMembers('deflection/offer-rules.ts', 'SkipReason'), REASON_LABELS],
    ['hand-back reasons (deflection/service HandBackReason)', unionMembers('deflection/service.ts', 'HandBackReason'), REASON_LABELS],
    ['number problems (phone NumberProblem)', unionMembers('phone.ts', 'NumberProblem'), NUMBER_PROBLEM_LABELS],
  ] as const)('every one of the %s has words', (_name, codes, table) => {
    expect(codes.length).toBeGreaterThan(2);
    const missing = codes.filter((code) => !isWords((table as Record<string, string>)[code] ?? '', code));
    expect(missing).toEqual([]);
  });

  it('shows an unknown code (an older row, a vendor error code) as itself, and nothing as nothing', () => {
    expect(label('error', '30007')).toBe('30007');
    expect(label('event', 'toString')).toBe('toString');
    expect(label('reason', null)).toBe('');
  });
});

describe('labels and campaign names on the reports page', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('names not-offered reasons in words and campaigns by name', async () => {
    // The default campaign: id support, name Support chat.
    server = await startConsole();
    const texted = new IvrCaller(server.app);
    await texted.start({ dnis: '+1 800 555 0100', ani: '+16175551234' });
    await server.store.setServiceSwitch(false, 'test', new Date().toISOString());
    await new IvrCaller(server.app).start({ dnis: '+1 800 555 0100', ani: '+16175559876' });
    const admin = await signIn(server.app);
    const res = await admin.get('/admin/reports?by=campaign');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/Service switched off <code class="muted">service-off<\/code>/);
    expect(res.text).toMatch(/<th scope="row" class="nowrap">Support chat<\/th>\s*<td class="num">2<\/td>/);
  });
});

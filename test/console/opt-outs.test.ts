import request from 'supertest';
import type { TestServer } from '../helpers/server';
import { captureLog, signIn, startConsole, USER, type Admin } from './helpers';

/**
 * The opt-out list page over the real store: search by last digits, add a number with a
 * reason, take one off with a reason; numbers masked on the page and in the log.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const US = '+16175551234';
const UK = '+447700900123';

async function start(): Promise<{ srv: TestServer; admin: Admin; lines: Array<Record<string, unknown>> }> {
  const { log, lines } = captureLog();
  server = await startConsole({ log });
  await server.store.suppress({ number: US, keyword: 'STOP', source: 'twilio', createdAt: '2026-11-20T09:00:00.000Z' });
  await server.store.suppress({ number: UK, keyword: 'STOP', source: 'whatsapp', channel: 'whatsapp', createdAt: '2026-11-21T09:00:00.000Z' });
  return { srv: server, admin: await signIn(server.app), lines };
}

/** The list's rows as [number, channel, how] cell texts. */
function rows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr data-ref[^>]*>([\s\S]*?)<\/tr>/g)].map((tr) =>
    [...(tr[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((td) => (td[1] ?? '').replace(/<[^>]+>/g, '').trim()).filter((_, i) => i !== 2 && i < 4),
  );
}

/** The remove form's fields of the row showing this masked number. */
function removeFields(html: string, masked: string): Record<string, string> {
  const row = [...html.matchAll(/<tr data-ref[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1] ?? '').find((r) => r.includes(masked));
  if (!row) throw new Error(`no row for ${masked}`);
  return Object.fromEntries([...row.matchAll(/type="hidden" name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']).filter(([n]) => n !== '_csrf'));
}

describe('the opt-out list page', () => {
  it('lists every channel newest first, masked, and finds a number by its last digits', async () => {
    const { admin } = await start();
    const all = await admin.get('/admin/opt-outs');
    expect(all.status).toBe(200);
    expect(rows(all.text)).toEqual([
      ['+********0123', 'WhatsApp', 'STOP via whatsapp'],
      ['+*******1234', 'SMS', 'STOP via twilio'],
    ]);
    for (const whole of [US, UK, US.slice(1), UK.slice(1)]) expect(all.text).not.toContain(whole);
    expect(rows((await admin.get('/admin/opt-outs?number=1234')).text)).toEqual([['+*******1234', 'SMS', 'STOP via twilio']]);
    expect(rows((await admin.get(`/admin/opt-outs?number=${encodeURIComponent('+44 7700 900123')}`)).text)).toEqual([['+********0123', 'WhatsApp', 'STOP via whatsapp']]);
    const bad = await admin.get('/admin/opt-outs?number=12a');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="search-number-error">a whole number with \+ and country code/);
  });

  it('adds a number with a reason: no campaign texts it on that channel, and the log names who and why', async () => {
    const { srv, admin, lines } = await start();
    const other = '+16175550000';
    const res = await admin.post('/admin/opt-outs/add', { number: '+1 617 555 0000', channel: 'sms', reason: 'asked by e-mail, ticket 881' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('+*******0000 is on the opt-out list for SMS');
    expect(rows(res.text)).toEqual([['+*******0000', 'SMS', 'Added in the console']]);
    expect(await srv.store.isSuppressed(other)).toBe(true);
    expect(await srv.store.isSuppressed(other, 'whatsapp')).toBe(false);
    const line = lines.find((l) => l.msg === 'console: number added to the opt-out list');
    expect(line).toMatchObject({ user: USER, number: '+*******0000', channel: 'sms', reason: 'asked by e-mail, ticket 881' });
    expect(JSON.stringify(lines)).not.toContain(other);
    // And the audit trail has who, what and why, the number masked.
    const [entry] = await srv.store.searchAudit({ action: 'opt-out.add', limit: 5 });
    expect(entry).toMatchObject({ actorKind: 'user', actorName: USER, target: 'number:+*******0000' });
    expect(JSON.parse(entry?.detail ?? '{}')).toMatchObject({ channel: 'sms', reason: 'asked by e-mail, ticket 881' });
  });

  it.each([
    [{ number: '+16175550000', channel: 'sms', reason: '' }, 'add-reason-error', 'give a reason of at least 3 characters'],
    [{ number: '6175550000', channel: 'sms', reason: 'asked by phone' }, 'add-number-error', 'give the whole number with + and country code'],
    [{ number: '+16175550000', channel: 'fax', reason: 'asked by phone' }, 'add-channel-error', 'choose one of the listed channels'],
  ])('refuses to add %o, says why beside the field, keeps what was typed, and adds nothing', async (fields, errorId, message) => {
    const { srv, admin } = await start();
    const res = await admin.post('/admin/opt-outs/add', fields);
    expect(res.status).toBe(400);
    expect(res.text).toContain(`id="${errorId}">${message}`);
    if (fields.reason) expect(res.text).toContain(`value="${fields.reason}"`);
    expect(await srv.store.isSuppressed('+16175550000')).toBe(false);
  });

  it('takes a number off only with a reason, and logs who and why', async () => {
    const { srv, admin, lines } = await start();
    const page = await admin.get('/admin/opt-outs');
    const fields = removeFields(page.text, '+*******1234');
    const noReason = await admin.post('/admin/opt-outs/remove', { ...fields, reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toMatch(/<p class="field-error" id="reason-[0-9a-f]{32}-error">give a reason of at least 3 characters<\/p>/);
    expect(await srv.store.isSuppressed(US)).toBe(true);

    const res = await admin.post('/admin/opt-outs/remove', { ...fields, reason: 'caller texted START to the wrong number' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('+*******1234 was taken off the SMS opt-out list');
    expect(await srv.store.isSuppressed(US)).toBe(false);
    expect(await srv.store.isSuppressed(UK, 'whatsapp')).toBe(true);
    expect(lines.find((l) => l.msg === 'console: number removed from the opt-out list')).toMatchObject({
      user: USER,
      number: '+*******1234',
      reason: 'caller texted START to the wrong number',
      verdict: 'applied',
    });
    const [entry] = await srv.store.searchAudit({ action: 'opt-out.remove', limit: 5 });
    expect(entry).toMatchObject({ actorKind: 'user', actorName: USER, target: 'number:+*******1234' });
    expect(JSON.parse(entry?.detail ?? '{}')).toMatchObject({ channel: 'sms', reason: 'caller texted START to the wrong number' });
    // The same button again: the entry is gone, nothing else is touched.
    const again = await admin.post('/admin/opt-outs/remove', { ...fields, reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('no longer on the list');
  });

  it('refuses a remove button it did not draw (a forged or another session’s ref), and one without the CSRF token', async () => {
    const { srv, admin } = await start();
    const fields = removeFields((await admin.get('/admin/opt-outs')).text, '+*******1234');
    const forged = await admin.post('/admin/opt-outs/remove', { ...fields, ref: 'f'.repeat(32), reason: 'testing' });
    expect(forged.status).toBe(409);
    const garbage = await admin.post('/admin/opt-outs/remove', { ...fields, ref: '<script>', reason: 'testing' });
    expect(garbage.status).toBe(400);
    // Another admin's session draws other refs: this one's buttons do nothing there.
    const other = await signIn(srv.app);
    expect((await other.post('/admin/opt-outs/remove', { ...fields, reason: 'testing' })).status).toBe(409);
    const noCsrf = await request(srv.app).post('/admin/opt-outs/remove').set('Cookie', admin.cookie).type('form').send({ ...fields, reason: 'testing' });
    expect(noCsrf.status).toBe(403);
    expect(await srv.store.isSuppressed(US)).toBe(true);
  });
});

import type { MessageStatus } from '../../src/store/port';
import type { TestServer } from '../helpers/server';
import { captureLog, signIn, startConsole, USER, type Admin } from './helpers';

/**
 * The messages page: filters and paging over the real store, numbers masked unless an
 * admin gives a reason (which is logged), and only for that one answer.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Seed {
  id: string;
  to: string;
  campaignId?: string;
  createdAt: string;
  status?: Exclude<MessageStatus, 'undelivered'>;
}

/** Stores a message and walks it to its status, as the outbox and a receipt would. */
async function seed(srv: TestServer, m: Seed): Promise<void> {
  const { store } = srv;
  await store.createMessage({
    id: m.id,
    callId: `call-${m.id}`,
    campaignId: m.campaignId ?? 'support',
    to: m.to,
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'sandbox',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: m.createdAt,
  });
  const status = m.status ?? 'queued';
  if (status === 'failed') {
    await store.recordAttempt(m.id, { status: 'failed', via: 'sandbox', errorCode: 'invalid-number', errorDetail: 'not a mobile number' }, m.createdAt);
  } else if (status !== 'queued') {
    await store.recordAttempt(m.id, { status: 'sent', via: 'sandbox', vendorMessageId: `v-${m.id}`, vendorStatus: null }, m.createdAt);
    if (status === 'delivered') {
      await store.applyReceipt({ gateway: 'sandbox', vendorMessageId: `v-${m.id}`, status: 'delivered', vendorStatus: 'DELIVRD' }, m.createdAt);
    }
  }
}

const US = '+16175551234';
const UK = '+447700900123';
const OTHER = '+16175550000';

/** A console over three messages; the outbox is stopped so their statuses stay as seeded. */
async function startWithMessages(options: Parameters<typeof startConsole>[0] = {}): Promise<{ srv: TestServer; admin: Admin }> {
  server = await startConsole(options);
  await server.dispatcher.stop();
  await seed(server, { id: 'm-us', to: US, createdAt: '2026-11-20T09:00:00.000Z', status: 'delivered' });
  await seed(server, { id: 'm-uk', to: UK, createdAt: '2026-11-21T10:00:00.000Z', status: 'failed' });
  await seed(server, { id: 'm-other', to: OTHER, campaignId: 'billing', createdAt: '2026-11-22T11:00:00.000Z' });
  return { srv: server, admin: await signIn(server.app) };
}

/** The table's rows as [time, campaign, number, status] cell texts. */
function rows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((tr) => [...(tr[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((td) => (td[1] ?? '').replace(/<[^>]+>/g, '').trim()))
    .filter((cells) => cells.length > 1)
    .map((cells) => cells.slice(0, 4));
}

describe('the messages page', () => {
  it('lists messages newest first with masked numbers, status badges, segments, gateway and error', async () => {
    const { admin } = await startWithMessages();
    const res = await admin.get('/admin/messages');
    expect(res.status).toBe(200);
    expect(rows(res.text)).toEqual([
      ['2026-11-22 11:00:00 UTC', 'billing', '+*******0000', 'Queued'],
      ['2026-11-21 10:00:00 UTC', 'support', '+********0123', 'Failed'],
      ['2026-11-20 09:00:00 UTC', 'support', '+*******1234', 'Delivered'],
    ]);
    for (const number of [US, UK, OTHER]) expect(res.text).not.toContain(number);
    // Statuses and our error codes in words; each row links to its call's trace.
    expect(res.text).toContain('<span class="badge badge-failed">Failed</span>');
    expect(res.text).toContain('Number cannot take texts: not a mobile number');
    expect(res.text).toContain('href="/admin/calls/call-m-uk"');
    expect(res.text).toContain('<td>sandbox</td>');
    expect(res.text).toContain('<time datetime="2026-11-20T09:00:00.000Z">');
  });

  it.each([
    ['status=failed', ['Failed']],
    ['campaign=billing', ['Queued']],
    ['number=1234', ['Delivered']],
    ['number=551234', ['Delivered']],
    [`number=${encodeURIComponent('+44 7700 900123')}`, ['Failed']],
    ['from=2026-11-21', ['Queued', 'Failed']],
    ['status=&campaign=&number=&from=', ['Queued', 'Failed', 'Delivered']],
    ['campaign=support&from=2026-11-21', ['Failed']],
  ])('filters by %s', async (query, statuses) => {
    const { admin } = await startWithMessages();
    const res = await admin.get(`/admin/messages?${query}`);
    expect(res.status).toBe(200);
    expect(rows(res.text).map((r) => r[3])).toEqual(statuses);
  });

  it('keeps the filters in the form', async () => {
    const { admin } = await startWithMessages();
    const res = await admin.get('/admin/messages?status=failed&campaign=support&number=0123&from=2026-11-01');
    expect(res.text).toContain('<option value="failed" selected>');
    expect(res.text).toContain('id="campaign" name="campaign" type="text" value="support"');
    expect(res.text).toContain('value="0123"');
    expect(res.text).toContain('value="2026-11-01"');
  });

  it.each([
    ['number=6175551234', 'must be a whole number with + and country code, or its last 2 to 6 digits', 'number'],
    ['status=lost', 'must be one of the listed statuses', 'status'],
    ['from=21%2F11%2F2026', 'must be a date (YYYY-MM-DD)', 'from'],
  ])('shows %s as an error by its field, with a 400 and no rows', async (query, message, field) => {
    const { admin } = await startWithMessages();
    const res = await admin.get(`/admin/messages?${query}`);
    expect(res.status).toBe(400);
    expect(res.text).toContain(`<p class="field-error" id="${field}-error">${message}</p>`);
    expect(res.text).toContain(`aria-describedby="${field}-error"`);
    expect(rows(res.text)).toEqual([]);
  });

  it('escapes filter values it shows again', async () => {
    const { admin } = await startWithMessages();
    const res = await admin.get(`/admin/messages?campaign=${encodeURIComponent('"><script>x</script>')}`);
    expect(res.text).not.toContain('<script>x</script>');
    expect(res.text).toContain('&#34;&gt;&lt;script&gt;');
  });

  it('pages back 50 at a time with an "Older messages" link that keeps the filters', async () => {
    server = await startConsole();
    await server.dispatcher.stop();
    for (let i = 0; i < 53; i++) {
      const minute = String(i).padStart(2, '0');
      await seed(server, { id: `m-${minute}`, to: `+161755512${minute}`, createdAt: `2026-11-20T09:${minute}:00.000Z`, status: 'sent' });
    }
    await seed(server, { id: 'm-failed', to: UK, createdAt: '2026-11-20T08:00:00.000Z', status: 'failed' });
    const admin = await signIn(server.app);

    const first = await admin.get('/admin/messages?status=sent');
    expect(rows(first.text)).toHaveLength(50);
    expect(rows(first.text)[0]?.[0]).toBe('2026-11-20 09:52:00 UTC');
    const older = /<a class="button button-quiet" href="([^"]+)">Older messages<\/a>/.exec(first.text)?.[1]?.replace(/&amp;/g, '&');
    expect(older).toBe(`/admin/messages?status=sent&before=${encodeURIComponent('2026-11-20T09:03:00.000Z')}`);

    const second = await admin.get(older as string);
    expect(rows(second.text).map((r) => r[0])).toEqual(['2026-11-20 09:02:00 UTC', '2026-11-20 09:01:00 UTC', '2026-11-20 09:00:00 UTC']);
    expect(second.text).not.toContain('Older messages');
  });
});

describe('revealing whole numbers', () => {
  it('needs a reason of at least 3 characters; without one the numbers stay masked and nothing is logged', async () => {
    const { log, lines } = captureLog();
    const { admin } = await startWithMessages({ log });
    for (const reason of [undefined, '', '  ab  ']) {
      const res = await admin.post('/admin/messages/reveal', reason === undefined ? {} : { reason });
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/<p class="field-error" id="reason-error">give a reason( of at least 3 characters)?<\/p>/);
      for (const number of [US, UK, OTHER]) expect(res.text).not.toContain(number);
      expect(rows(res.text)).toHaveLength(3);
    }
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it('shows whole numbers for that one answer, within the filters, and logs the user and reason at warn', async () => {
    const { log, lines } = captureLog();
    const { admin } = await startWithMessages({ log });
    const res = await admin.post('/admin/messages/reveal', { reason: 'caller complaint #4521', status: 'failed', campaign: '', number: '', from: '', before: '' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(rows(res.text)).toEqual([['2026-11-21 10:00:00 UTC', 'support', UK, 'Failed']]);
    expect(res.text).not.toContain(US);
    expect(res.text).toContain('Whole numbers are shown for this page only (reason: caller complaint #4521)');
    expect(lines.filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({ user: USER, reason: 'caller complaint #4521', shown: 1, msg: 'console: whole phone numbers shown' }),
    ]);

    // The next look at the page is masked again.
    const after = await admin.get('/admin/messages?status=failed');
    expect(after.text).not.toContain(UK);
    expect(rows(after.text)[0]?.[2]).toBe('+********0123');
  });

  it('reveals and logs nothing when the filters carried along are invalid', async () => {
    const { log, lines } = captureLog();
    const { admin } = await startWithMessages({ log });
    const res = await admin.post('/admin/messages/reveal', { reason: 'caller complaint', status: 'lost' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('must be one of the listed statuses');
    expect(res.text).not.toContain('Whole numbers are shown');
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it('offers the reveal form with the current filters and page carried along', async () => {
    const { admin } = await startWithMessages();
    const res = await admin.get('/admin/messages?status=failed&before=2026-11-22T00%3A00%3A00.000Z');
    const form = /<form method="post" action="\/admin\/messages\/reveal"[\s\S]*?<\/form>/.exec(res.text)?.[0] ?? '';
    expect(form).toContain('<input type="hidden" name="status" value="failed">');
    expect(form).toContain('<input type="hidden" name="before" value="2026-11-22T00:00:00.000Z">');
    expect(form).toContain('name="reason"');
  });
});

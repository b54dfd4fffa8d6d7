import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { PHONE_BROWSER, WHATSAPP_PREVIEW } from '../helpers/link-visitors';
import type { TestServer } from '../helpers/server';
import { signIn, startConsole } from './helpers';

/**
 * The call page: a real call through the IVR, texted and then opened (a messaging app's
 * preview, then the caller's click), read back as one trace in the console: labelled
 * events in order, the message and what the vendor said, numbers masked.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CALLER = '+16175551234';

async function textedCall(srv: TestServer): Promise<string> {
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis: '+1 800 555 0100', ani: CALLER });
  await caller.press('1'); // accept
  await caller.press('1'); // text the number called from
  expect(caller.ending().result.status).toBe('sent');
  const [message] = await srv.store.listMessages({ limit: 1 });
  if (!message) throw new Error('no message');
  const code = /\/s\/(\w+)/.exec(message.body)?.[1] ?? '';
  await request(srv.app).get(`/s/${code}`).set(WHATSAPP_PREVIEW);
  expect((await request(srv.app).get(`/s/${code}`).set(PHONE_BROWSER)).status).toBe(302);
  return message.callId;
}

/** The trace's event labels, in page order. */
const traceLabels = (html: string): string[] =>
  [...html.matchAll(/<li class="trace-event[^"]*" data-event="[^"]*">\s*<time[^>]*>[^<]*<\/time>\s*<strong>([^<]*)<\/strong>/g)].map((m) => m[1] ?? '');

describe('the call page', () => {
  it('shows a texted call as one labelled trace, from the start to the click, numbers masked', async () => {
    server = await startConsole();
    const callId = await textedCall(server);
    const admin = await signIn(server.app);
    const res = await admin.get(`/admin/calls/${callId}`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(traceLabels(res.text)).toEqual([
      'Call started',
      'Offered a text',
      'Caller accepted',
      'Number confirmed',
      'Message queued',
      'Message accepted by the vendor',
      'Link fetched by a machine (preview)',
      'Link clicked',
    ]);
    // The call's facts and the campaign by name, linked.
    expect(res.text).toContain('<a href="/admin/campaigns/support">Support chat</a>');
    expect(res.text).toContain('Texted: ');
    // The message: masked number, labelled status, the gateway that took it, one attempt.
    expect(res.text).toContain('+*******1234');
    expect(res.text).toMatch(/<span class="badge badge-sent">Sent<\/span>/);
    expect(res.text).toMatch(/<td class="num">1<\/td>\s*<td>sandbox<\/td>/);
    expect(res.text).not.toContain(CALLER);
    expect(res.text).not.toContain('6175551234');
  });

  it('is reached from the messages page', async () => {
    server = await startConsole();
    const callId = await textedCall(server);
    const admin = await signIn(server.app);
    const messages = await admin.get('/admin/messages');
    expect(messages.text).toContain(`href="/admin/calls/${callId}"`);
  });

  it.each(['no-such-call', 'a%20b', 'x'.repeat(65)])('answers a friendly 404 for call id %s', async (id) => {
    server = await startConsole();
    const admin = await signIn(server.app);
    const res = await admin.get(`/admin/calls/${id}`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('There is no call with this id');
  });

  it('is only for a signed-in admin', async () => {
    server = await startConsole();
    const callId = await textedCall(server);
    const res = await request(server.app).get(`/admin/calls/${callId}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/admin\/sign-in/);
  });
});

import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import type { SmsGateway } from '../src/sms/port';
import { IvrCaller } from './helpers/ivr-caller';
import { PHONE_BROWSER } from './helpers/link-visitors';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from './helpers/server';

const DNIS = 'tel:+18005550100';
const MOBILE_ANI = '+16175551234';

let server: TestServer;
beforeEach(() => {
  server = startTestServer();
});
afterEach(() => server.close());

async function listMessages(srv: TestServer = server) {
  const res = await request(srv.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body.messages as Array<Record<string, string>>;
}

async function eventsOf(callId: string, srv: TestServer = server) {
  return (await srv.store.listEvents(callId)).map((e) => e.type);
}

function callIdOf(caller: IvrCaller): string {
  const match = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'));
  if (!match?.[1]) throw new Error('no call id in the document');
  return match[1];
}

describe('a caller accepts and confirms the number they call from', () => {
  it('texts a short link that redirects to the campaign link with the caller number', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: `sip:${MOBILE_ANI}@gw.example.com;user=phone`, callid: 'cvp-42' });
    expect(caller.prompts()).toBe(
      'To get a text message with a link to chat with us now, press 1. To stay on the line, press 2.',
    );
    const callId = callIdOf(caller);

    await caller.press('1');
    expect(caller.prompts()).toContain("We'll text the number you're calling from, ending in 1234.");
    expect(caller.spokenDigits()).toEqual(['1234']);

    await caller.press('1');
    expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
    expect(caller.ending()).toEqual({
      kind: 'disconnect',
      result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' },
    });

    const [message, ...others] = await listMessages();
    expect(others).toHaveLength(0);
    expect(message).toMatchObject({ to: MOBILE_ANI, status: 'sent', campaignId: 'support', callId });
    const link = /https:\/\/t\.example\.test\/s\/([0-9A-Za-z]{7,})/.exec(message?.body ?? '');
    expect(link).not.toBeNull();
    expect(message?.body).toBe(`Chat with us: ${link?.[0]}`);

    const click = await request(server.app).get(`/s/${link?.[1]}`).set(PHONE_BROWSER);
    expect(click.status).toBe(302);
    const target = new URL(click.headers.location as string);
    expect(target.origin + target.pathname).toBe('https://chat.example.com/start');
    expect(Object.fromEntries(target.searchParams)).toEqual({
      customer: MOBILE_ANI,
      mobile: MOBILE_ANI,
      call: 'cvp-42',
      dnis: '+18005550100',
      c: 'support',
    });
    // The raw link carries the "+" encoded, so it survives any chat platform's parser.
    expect(click.headers.location).toContain('customer=%2B16175551234');

    expect(await eventsOf(callId)).toEqual([
      'started',
      'offered',
      'accepted',
      'number-confirmed',
      'sms-queued',
      'sms-sent',
      'link-clicked',
    ]);
  });

  it('serves a cacheable, valid application root document with the shared error handler', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const root = await caller.fetchRoot();
    expect(root.cacheControl).toBe('public, max-age=300');
    expect(root.etag).toBeTruthy();
    expect(root.xml).toContain('<catch event="error" count="1">');
    const again = await request(server.app)
      .get('/vxml/root.vxml?campaign=support&mode=goto')
      .set('If-None-Match', root.etag as string);
    expect(again.status).toBe(304);
  });
});

describe('a caller who enters another number', () => {
  it('reads the number back and texts it once confirmed', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('1');
    await caller.press('2');
    expect(caller.prompts()).toBe('Please enter your 10-digit mobile number, then press pound.');
    await caller.press('6172531234');
    expect(caller.prompts()).toBe("You entered 6172531234. Press 1 if that's right, or 2 to enter it again.");
    expect(caller.spokenDigits()).toEqual(['6172531234']);
    await caller.press('1');
    expect(caller.ending().result.status).toBe('sent');
    const messages = await listMessages();
    expect(messages.map((m) => m.to)).toEqual(['+16172531234']);
    // The link still names the caller by the number they called from.
    expect(messages[0]?.body).toMatch(/\/s\/[0-9A-Za-z]+$/);
  });

  it('is asked for a number straight away when the caller id is withheld', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: 'anonymous' });
    await caller.press('1');
    expect(caller.prompts()).toBe('Please enter your 10-digit mobile number, then press pound.');
  });

  it('is asked for a number when the caller id is a toll-free line', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '+18885550111' });
    await caller.press('1');
    expect(caller.prompts()).toContain('Please enter your 10-digit mobile number');
  });

  it('can change the number after hearing it read back', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '' });
    await caller.press('1');
    await caller.press('6172531234');
    await caller.press('2');
    await caller.press('6172539876');
    await caller.press('1');
    expect((await listMessages()).map((m) => m.to)).toEqual(['+16172539876']);
  });
});

describe('invalid numbers', () => {
  it('asks again after an invalid number, then texts the valid one', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '' });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('9005551234'); // premium rate
    expect(caller.prompts()).toBe(
      "Sorry, that isn't a mobile number we can text. Please enter your 10-digit mobile number, then press pound.",
    );
    await caller.press('1234567');
    expect(caller.prompts()).toContain("Sorry, that isn't a mobile number we can text.");
    await caller.press('6172531234');
    await caller.press('1');
    expect(caller.ending().result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' });
    expect(await listMessages()).toHaveLength(1);
    expect(await eventsOf(callId)).not.toContain('handed-back');
  });

  it('hands the call back after the last allowed attempt', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '' });
    const callId = callIdOf(caller);
    await caller.press('1');
    for (const digits of ['12345678', '8005550199', '44207946000']) await caller.press(digits);
    expect(caller.prompts()).toBe("Sorry, that isn't a mobile number we can text. Please stay on the line.");
    expect(caller.ending()).toEqual({
      kind: 'exit',
      result: { status: 'failed', reason: 'invalid-number', maskedNumber: '' },
    });
    expect(await listMessages()).toHaveLength(0);
    expect((await eventsOf(callId)).filter((e) => e === 'number-invalid')).toHaveLength(3);
  });

  it('asks for another number when the gateway refuses the destination', async () => {
    const srv = startTestServer({ env: { SANDBOX_FAIL_NUMBERS: '+16175551234' } });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      await caller.press('1');
      await caller.press('1');
      expect(caller.prompts()).toContain("Sorry, that isn't a mobile number we can text.");
      await caller.press('6172531234');
      await caller.press('1');
      expect(caller.ending().result.status).toBe('sent');
      const messages = await listMessages(srv);
      expect(messages.map((m) => [m.to, m.status])).toEqual([
        ['+16172531234', 'sent'],
        ['+16175551234', 'failed'],
      ]);
    } finally {
      await srv.close();
    }
  });
});

describe('a gateway that is down', () => {
  it('tells the caller the text is on its way, and the outbox sends it once the gateway is back', async () => {
    let up = false;
    const flaky: SmsGateway = {
      name: 'flaky',
      send: async (sms) => {
        if (!up) throw new Error('connect ECONNREFUSED');
        return { outcome: 'accepted', vendorMessageId: `flaky-${sms.id}` };
      },
    };
    const srv = startTestServer({ gateway: flaky, env: { SMS_RETRY_BASE_MS: '100' } });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      await caller.press('1');
      await caller.press('1');
      expect(caller.prompts()).toBe('Your text is on its way. Goodbye.');
      expect(caller.ending()).toEqual({
        kind: 'disconnect',
        result: { status: 'sent', reason: 'queued', maskedNumber: '+*******1234' },
      });
      const [queued] = await listMessages(srv);
      expect(queued).toMatchObject({ status: 'queued', gateway: 'flaky' });
      expect(queued?.error).toEqual({ code: 'gateway-exception', detail: 'connect ECONNREFUSED' });

      up = true;
      const deadline = Date.now() + 5_000;
      let [message] = await listMessages(srv);
      while (message?.status === 'queued' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        [message] = await listMessages(srv);
      }
      expect(message).toMatchObject({ status: 'sent', sentVia: 'flaky', error: null });
      expect(message?.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await srv.close();
    }
  });
});

describe('a gateway that refuses the text for good', () => {
  it('apologises, hands the call back and keeps the failed message', async () => {
    const refusing: SmsGateway = {
      name: 'refusing',
      send: async () => ({ outcome: 'permanent', code: 'blocked-by-carrier', detail: 'carrier filter', reason: 'blocked' }),
    };
    const srv = startTestServer({ gateway: refusing });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      await caller.press('1');
      await caller.press('1');
      expect(caller.prompts()).toBe("Sorry, we couldn't send you a text right now. Please stay on the line.");
      expect(caller.ending()).toEqual({
        kind: 'exit',
        result: { status: 'failed', reason: 'gateway-error', maskedNumber: '+*******1234' },
      });
      const [message] = await listMessages(srv);
      expect(message).toMatchObject({ status: 'failed', gateway: 'refusing', attempts: 1 });
      expect(message?.error).toEqual({ code: 'blocked-by-carrier', detail: 'carrier filter' });
    } finally {
      await srv.close();
    }
  });
});

describe('a number that opted out', () => {
  it('is never texted: the caller hears why and may give another number', async () => {
    await server.store.suppress({ number: MOBILE_ANI, keyword: 'STOP', source: 'twilio', createdAt: new Date().toISOString() });
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('1');
    expect(caller.prompts()).toBe('That number has asked us not to send it texts. Please enter your 10-digit mobile number, then press pound.');
    expect(await listMessages()).toHaveLength(0);
    await caller.press('6172539876');
    await caller.press('1');
    expect(caller.ending().result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+*******9876' });
    expect((await listMessages()).map((m) => m.to)).toEqual(['+16172539876']);
    expect(await eventsOf(callId)).toContain('number-opted-out');
  });
});

describe('callers who do not take the offer', () => {
  it('declines with 2 and goes back to the IVR', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const callId = callIdOf(caller);
    await caller.press('2');
    expect(caller.prompts()).toBe('Please stay on the line.');
    expect(caller.ending()).toEqual({
      kind: 'exit',
      result: { status: 'declined', reason: 'caller-declined', maskedNumber: '' },
    });
    expect(await eventsOf(callId)).toEqual(['started', 'offered', 'declined', 'handed-back']);
    expect(await listMessages()).toHaveLength(0);
  });

  it('reprompts on no input and hands back on the third', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    // The document reprompts for the first two; the browser submits on the third.
    expect(caller.xml).toMatch(/<noinput count="1">\s*<prompt>Sorry, I didn't hear anything.<\/prompt>\s*<reprompt\/>/);
    expect(caller.xml).toContain('<noinput count="3">');
    const callId = callIdOf(caller);
    await caller.giveUp('noinput');
    expect(caller.ending().result).toEqual({ status: 'declined', reason: 'no-input', maskedNumber: '' });
    const events = await server.store.listEvents(callId);
    expect(events.at(-1)).toMatchObject({ type: 'handed-back', detail: { reason: 'no-input' } });
  });

  it('records a caller who hangs up in the middle of the dialog', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '' });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.hangUp();
    expect(caller.ending().result).toEqual({ status: 'declined', reason: 'hung-up', maskedNumber: '' });
    const events = await server.store.listEvents(callId);
    expect(events.at(-1)).toMatchObject({ type: 'handed-back', detail: { reason: 'hung-up' } });
  });

  it('hands back on the third no match while confirming the number', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('1');
    await caller.giveUp('nomatch');
    expect(caller.ending().result).toEqual({ status: 'declined', reason: 'no-match', maskedNumber: '' });
  });
});

describe('calls that cannot be offered', () => {
  it.each([
    ['an unknown DNIS', { dnis: '+18005550199', ani: MOBILE_ANI }, 'unknown-dnis'],
    ['no DNIS', { ani: MOBILE_ANI }, 'missing-dnis'],
    ['an empty DNIS', { dnis: '', ani: MOBILE_ANI }, 'missing-dnis'],
  ])('hands back %s at once, silently, with the reason recorded', async (_label, params, reason) => {
    const caller = new IvrCaller(server.app);
    await caller.start(params as Record<string, string>);
    expect(caller.prompts()).toBe('');
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'unavailable', reason, maskedNumber: '' } });
    await caller.fetchRoot();
  });

  it('hands back calls to an inactive campaign the way the campaign says', async () => {
    const srv = startTestServer({
      campaigns: [campaign({ active: false, onHandBack: { action: 'goto', url: 'https://ivr.example.com/queue.vxml' } })],
    });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: '8005550100', ani: MOBILE_ANI });
      expect(caller.ending()).toEqual({
        kind: 'goto',
        url: 'https://ivr.example.com/queue.vxml',
        result: { status: 'unavailable', reason: 'campaign-inactive', maskedNumber: '' },
      });
    } finally {
      await srv.close();
    }
  });

  it.each(['tel:+18005550100', 'sip:+18005550100@10.0.0.1;user=phone', '8005550100', '+1 (800) 555-0100', ' 18005550100'])(
    'finds the campaign for DNIS %s',
    async (dnis) => {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis, ani: MOBILE_ANI });
      expect(caller.isQuestion()).toBe(true);
    },
  );
});

describe('subdialog mode', () => {
  it('returns status, reason and masked number on every path', async () => {
    const sent = new IvrCaller(server.app);
    await sent.start({ dnis: DNIS, ani: MOBILE_ANI }, { mode: 'subdialog', method: 'post' });
    await sent.press('1');
    await sent.press('1');
    expect(sent.prompts()).toBe("We've sent you a text. Goodbye.");
    expect(sent.ending()).toEqual({
      kind: 'return',
      result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' },
    });
    const root = await sent.fetchRoot();
    expect(root.xml).toContain('<return namelist="status reason maskedNumber"/>');
    expect(root.xml).not.toContain('<exit');

    const declined = new IvrCaller(server.app);
    await declined.start({ dnis: DNIS, ani: MOBILE_ANI }, { mode: 'subdialog' });
    await declined.press('2');
    expect(declined.ending()).toEqual({
      kind: 'return',
      result: { status: 'declined', reason: 'caller-declined', maskedNumber: '' },
    });

    const unknown = new IvrCaller(server.app);
    await unknown.start({ dnis: '5000', ani: MOBILE_ANI }, { mode: 'subdialog' });
    expect(unknown.ending()).toEqual({
      kind: 'return',
      result: { status: 'unavailable', reason: 'unknown-dnis', maskedNumber: '' },
    });

    const silent = new IvrCaller(server.app);
    await silent.start({ dnis: DNIS, ani: MOBILE_ANI }, { mode: 'subdialog' });
    await silent.giveUp('noinput');
    expect(silent.ending().kind).toBe('return');
  });

  it('returns even for a call id it does not know', async () => {
    const res = await request(server.app).post('/vxml/confirm?call=nope&mode=subdialog').type('form').send('answer=1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<return namelist="status reason maskedNumber"/>');
  });
});

describe('repeated and out-of-order requests', () => {
  it('sends one text for a repeated submit and answers it with the same document', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('1');
    const first = await caller.press('1');
    const second = await caller.repeat();
    const third = await caller.repeat();
    expect(second.text).toBe(first.text);
    expect(third.text).toBe(first.text);
    expect(await listMessages()).toHaveLength(1);
  });

  it('sends one text when the same submit arrives twice at once', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const callId = callIdOf(caller);
    await caller.press('1');
    const submit = () => request(server.app).post(`/vxml/confirm?call=${callId}&mode=goto`).type('form').send('answer=1');
    const answers = await Promise.all([submit(), submit(), submit()]);
    for (const a of answers) expect(a.text).toContain("We've sent you a text.");
    expect(await listMessages()).toHaveLength(1);
  });

  it('answers a stale step with the page the call is on', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const callId = callIdOf(caller);
    await caller.press('1');
    const confirmPage = caller.xml;
    const stale = await request(server.app).post(`/vxml/offer?call=${callId}`).type('form').send('answer=2');
    expect(stale.text).toBe(confirmPage);
    expect(await eventsOf(callId)).not.toContain('declined');
  });


  it('does not let a later request change the number texted', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const callId = callIdOf(caller);
    await request(server.app).post(`/vxml/offer?call=${callId}&ani=%2B16172539999`).type('form').send('answer=1&ani=%2B16172539999');
    await request(server.app).post(`/vxml/confirm?call=${callId}`).type('form').send('answer=1&ani=%2B16172539999&to=%2B16172539999');
    expect((await listMessages()).map((m) => m.to)).toEqual([MOBILE_ANI]);
  });
});

/**
 * A lax platform submits any key it hears, whatever the grammar says. Served the same page
 * again and never counted, such a call looped for ever; now it is a no-match at that question.
 */
describe('an answer outside the grammar (a lax platform submits any key)', () => {
  const OFFER = 'To get a text message with a link to chat with us now, press 1. To stay on the line, press 2.';
  const SORRY = "Sorry, I didn't get that.";

  /** The count of the <nomatch> that gives up (submits to giveup) on the current page. */
  function noMatchGiveUpCount(caller: IvrCaller): string | null {
    const handlers = caller.xml.match(/<nomatch count="(\d+)">\s*<submit next="giveup/);
    return handlers?.[1] ?? null;
  }

  it('re-asks with the no-match prompt, then hands back after the campaign\'s retries', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const callId = callIdOf(caller);
    expect(noMatchGiveUpCount(caller)).toBe('3');

    await caller.press('7');
    expect(caller.prompts()).toBe(`${SORRY} ${OFFER}`);
    // One no-match is spent: the browser's own no-matches on this page give up one sooner.
    expect(noMatchGiveUpCount(caller)).toBe('2');

    await caller.press('9');
    expect(caller.prompts()).toBe(`${SORRY} ${OFFER}`);
    expect(noMatchGiveUpCount(caller)).toBe('1');

    await caller.press('#');
    expect(caller.isQuestion()).toBe(false);
    expect(caller.prompts()).toBe('Please stay on the line.');
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'declined', reason: 'no-match', maskedNumber: '' } });
    expect(await eventsOf(callId)).toEqual([
      'started',
      'offered',
      'answer-outside-grammar',
      'answer-outside-grammar',
      'answer-outside-grammar',
      'handed-back',
    ]);
    const events = await server.store.listEvents(callId);
    expect(events.filter((e) => e.type === 'answer-outside-grammar').map((e) => e.detail)).toEqual([
      { page: 'offer', keys: '7', count: 1 },
      { page: 'offer', keys: '9', count: 2 },
      { page: 'offer', keys: '#', count: 3 },
    ]);
    // Later requests (an IVR retrying) get the same ending; nothing more is counted.
    await caller.submit(`/vxml/offer?call=${callId}&mode=goto`, { answer: '7' });
    expect(caller.ending().result.reason).toBe('no-match');
    expect((await eventsOf(callId)).filter((t) => t === 'answer-outside-grammar')).toHaveLength(3);
  });

  it('still takes a key of the grammar after a wrong one', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('5');
    await caller.press('1');
    expect(caller.prompts()).toContain("We'll text the number you're calling from, ending in 1234.");
    // The count belongs to the question it was made at: the next one starts afresh.
    expect(noMatchGiveUpCount(caller)).toBe('3');
    expect(caller.prompts()).not.toContain(SORRY);
    await caller.press('3');
    expect(caller.prompts()).toContain(`${SORRY} We'll text the number you're calling from`);
    await caller.press('1');
    expect(caller.ending().result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' });
  });

  it('counts against the same retries as the browser\'s own no-matches', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('8'); // at the confirmation: one counted by the server
    await caller.press('8'); // two
    await caller.giveUp('nomatch'); // the third, raised by the browser on the page that allows one more
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'declined', reason: 'no-match', maskedNumber: '' } });
    expect(await listMessages()).toHaveLength(0);
    expect((await eventsOf(callId)).slice(-3)).toEqual(['answer-outside-grammar', 'answer-outside-grammar', 'handed-back']);
  });

  it('hands back at the first one when the campaign allows one try', async () => {
    await server.close();
    server = startTestServer({ campaigns: [campaign({ maxRetries: 1 })] });
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('');
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'declined', reason: 'no-match', maskedNumber: '' } });
  });
});

describe('question timers', () => {
  /** The timeout and interdigittimeout a document sets, by name. */
  function timersOf(xml: string): Record<string, string> {
    return Object.fromEntries(
      [...xml.matchAll(/<property name="(timeout|interdigittimeout)" value="([^"]*)"\/>/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
  }

  it('are the campaign\'s in every document that listens, and absent from the ending', async () => {
    await server.close();
    server = startTestServer({ campaigns: [campaign({ timers: { noInputSeconds: 8, interDigitSeconds: 4 } })] });
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('1'); // confirm the caller id
    await caller.press('2'); // no: enter another number
    await caller.press('6175559876#');
    await caller.press('7'); // a wrong key: the read-back again, as a no-match
    await caller.press('1');
    const [ending, ...questions] = [...caller.documents].reverse();
    expect(questions).toHaveLength(5);
    for (const xml of questions) expect(timersOf(xml)).toEqual({ timeout: '8s', interdigittimeout: '4s' });
    expect(timersOf(ending ?? '')).toEqual({});
    expect(caller.ending().result.status).toBe('sent');
  });

  it('default to 5 s of silence and 3 s between keys', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '' });
    await caller.press('1');
    expect(caller.prompts()).toContain('mobile number');
    expect(timersOf(caller.xml)).toEqual({ timeout: '5s', interdigittimeout: '3s' });
  });
});

describe('call ids', () => {
  it('are unguessable: 128 random bits, different for every call', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      ids.add(callIdOf(caller));
    }
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('hand back politely once the call has expired', async () => {
    let now = new Date('2026-11-21T10:00:00Z');
    const srv = startTestServer({ now: () => now, env: { CALL_TTL_MINUTES: '30' } });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      now = new Date('2026-11-21T10:31:00Z');
      await caller.press('1');
      expect(caller.prompts()).toBe("Sorry, we couldn't send you a text right now. Please stay on the line.");
      expect(caller.ending().result).toEqual({ status: 'failed', reason: 'call-expired', maskedNumber: '' });
    } finally {
      await srv.close();
    }
  });

  it('hand back silently for an unknown call id', async () => {
    const caller = new IvrCaller(server.app);
    const res = await request(server.app).get('/vxml/offer?call=made-up&answer=1');
    caller.xml = res.text;
    expect(caller.prompts()).toBe('');
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'failed', reason: 'call-expired', maskedNumber: '' } });
  });
});

describe('hold audio while the text is sent', () => {
  it('plays our own chime on the send step when the campaign has no hold audio', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('1');
    expect(caller.xml).toContain('fetchaudio="audio/hold.wav"');
    expect(caller.xml).toContain('fetchtimeout="15s"');

    // Resolved against the document's URL, as a browser does: /vxml/audio/hold.wav.
    const audio = await request(server.app).get('/vxml/audio/hold.wav').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(audio.status).toBe(200);
    expect(audio.headers['content-type']).toBe('audio/wav');
    const wav = audio.body as Buffer;
    expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(wav.subarray(8, 12).toString('ascii')).toBe('WAVE');
    expect(wav.readUInt16LE(20)).toBe(7); // G.711 µ-law (decoded and listened to in hold-tone.test.ts)
    expect(wav.readUInt32LE(24)).toBe(8000); // 8 kHz: every telephony platform plays it
  });
});

describe('campaign endings and prompts', () => {
  it('uses the campaign prompts, audio, keys and return URL', async () => {
    const srv = startTestServer({
      campaigns: [
        campaign({
          keys: { accept: '9', decline: '*', confirm: '1', change: '2' },
          prompts: {
            offer: [{ text: 'Press 9 for a text.', audio: 'https://cdn.example.com/offer.wav' }],
            sent: 'Done & dusted <for> "you".',
          },
          holdAudio: 'https://cdn.example.com/hold.wav',
          onSent: { action: 'goto', url: 'https://ivr.example.com/after?x=1&y=2' },
        }),
      ],
    });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      expect(caller.xml).toContain('<audio src="https://cdn.example.com/offer.wav">Press 9 for a text.</audio>');
      expect(caller.xml).toContain('<item>9</item>');
      await caller.press('9');
      expect(caller.xml).toContain('fetchaudio="https://cdn.example.com/hold.wav"');
      expect(caller.xml).toContain('fetchtimeout="15s"');
      await caller.press('1');
      expect(caller.prompts()).toBe('Done & dusted <for> "you".');
      expect(caller.ending()).toEqual({
        kind: 'goto',
        url: 'https://ivr.example.com/after?x=1&y=2',
        result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' },
      });
    } finally {
      await srv.close();
    }
  });

  it('speaks Spanish for a Spanish campaign', async () => {
    const srv = startTestServer({ campaigns: [campaign({ language: 'es-US' })] });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      expect(caller.xml).toContain('xml:lang="es-US"');
      expect(caller.prompts()).toContain('oprima 1');
    } finally {
      await srv.close();
    }
  });
});

describe('short links', () => {
  it('answer an unknown code with a plain 404 page', async () => {
    for (const code of ['Zz9Zz9Zz', 'bad!code', 'a']) {
      const res = await request(server.app).get(`/s/${encodeURIComponent(code)}`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain("This link isn't valid");
    }
  });

  it('use the public base URL and at least 7 base62 characters', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('1');
    await caller.press('1');
    const [message] = await listMessages();
    expect(message?.body).toMatch(new RegExp(`${PUBLIC_BASE_URL.replace(/\./g, '\\.')}/s/[0-9A-Za-z]{7,}$`));
  });
});

describe('message length', () => {
  it('stores the encoding and segment count, and warns at start-up about a campaign that needs two', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    const long = `Thanks for calling Example Bank – tap the link to chat with an agent now: {link} ${'Reply STOP to opt out. '.repeat(3)}`;
    const srv = startTestServer({ campaigns: [campaign({ message: long })], log: pino({ level: 'warn' }, sink) });
    try {
      const warning = logged.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)[0];
      expect(warning).toMatchObject({
        campaignId: 'support',
        encoding: 'UCS-2', // the en dash
        msg: 'campaign message needs more than one SMS segment with its link',
      });
      expect(warning?.segments).toBeGreaterThan(1);

      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      await caller.press('1');
      await caller.press('1');
      const [message] = await listMessages(srv);
      expect(message).toMatchObject({ encoding: 'UCS-2', segments: warning?.segments });
    } finally {
      await srv.close();
    }
  });

  it('keeps a short plain message to one GSM-7 segment, without a warning', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
    await caller.press('1');
    await caller.press('1');
    expect((await listMessages())[0]).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });
});

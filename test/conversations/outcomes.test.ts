import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Conversation outcomes (README "Conversation outcomes"), through the whole app: a real
 * call takes the text, its link carries the context token, and the chat platform reports
 * what became of the conversation on POST /webhooks/conversations, signed with the
 * timestamped HMAC. The funnel then shows it. Every refusal records nothing.
 */
const DNIS = 'tel:+18005550100';
const ANI = '+16175551234';
const TOKEN_SECRET = 'a-context-token-secret-of-32-chars-or-more';
const WEBHOOK_SECRET = 'conversation-webhook-secret-32-chars-long!';
const OLD_SECRET = 'the-previous-conversation-secret-of-32-chars';
const START = new Date('2026-12-01T10:00:00.000Z');

let clock: Date;
let server: TestServer;

function serve(env: Record<string, string> = {}, dataDir?: string) {
  server = startTestServer({
    ...(dataDir ? { dataDir } : {}),
    campaigns: [campaign({ link: 'https://chat.example.com/start?t={contextToken}' })],
    env: {
      CONTEXT_TOKEN_SECRET: TOKEN_SECRET,
      CONTEXT_TOKEN_TTL_MINUTES: '60',
      CONVERSATION_WEBHOOK_SECRET: `${WEBHOOK_SECRET},${OLD_SECRET}`,
      ...env,
    },
    now: () => clock,
  });
}

beforeEach(() => {
  clock = START;
});
afterEach(() => server.close());

/** A call that takes the text; the token of the link it opens, and its call id. */
async function textedCall(): Promise<{ token: string; callId: string }> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: ANI });
  await caller.press('1');
  await caller.press('1');
  expect(caller.ending().result.status).toBe('sent');
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const [message] = res.body.messages as Array<{ body: string; callId: string }>;
  const code = /\/s\/([0-9A-Za-z]+)/.exec(message?.body ?? '')?.[1];
  const click = await request(server.app).get(`/s/${code}`).set('User-Agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)');
  const token = new URL(click.headers.location as string).searchParams.get('t') ?? '';
  expect(token).not.toBe('');
  return { token, callId: message?.callId ?? '' };
}

/**
 * The signature as the README documents it, written here from that text (not with
 * src/signing): X-Signature-Timestamp unix seconds, X-Signature "sha256=" + hex
 * HMAC-SHA256(secret, timestamp + "." + body).
 */
function signed(body: string, at: Date = clock, secret = WEBHOOK_SECRET): Record<string, string> {
  const ts = String(Math.floor(at.getTime() / 1000));
  return {
    'Content-Type': 'application/json',
    'X-Signature-Timestamp': ts,
    'X-Signature': `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`,
  };
}

const post = (body: string, headers: Record<string, string>) => request(server.app).post('/webhooks/conversations').set(headers).send(body);
const report = (fields: Record<string, unknown>) => JSON.stringify(fields);

async function funnel(): Promise<Record<string, unknown>> {
  const res = await request(server.app)
    .get('/api/reports/funnel?from=2026-12-01&to=2026-12-02&by=campaign')
    .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body.total as Record<string, unknown>;
}

async function outcomeEvents(callId: string): Promise<string[]> {
  return (await server.store.listEvents(callId)).map((e) => e.type).filter((t) => t.startsWith('conversation-') || t === 'agent-engaged');
}

describe('POST /webhooks/conversations', () => {
  it('takes a signed outcome for the texted call: the funnel shows the conversation started and resolved', async () => {
    serve();
    const { token, callId } = await textedCall();
    expect(await funnel()).toMatchObject({ textsSent: 1, conversationsStarted: 0, conversationsResolved: 0 });

    clock = new Date(START.getTime() + 3 * 60_000);
    const started = report({ id: 'evt-1', type: 'conversation-started', token, at: '2026-12-01T10:02:30Z' });
    const first = await post(started, signed(started));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ recorded: true });
    expect(await funnel()).toMatchObject({ conversationsStarted: 1, conversationsResolved: 0 });

    // Signed with the previous secret (rotation): still taken.
    const engaged = report({ id: 'evt-2', type: 'agent-engaged', token });
    expect((await post(engaged, signed(engaged, clock, OLD_SECRET))).status).toBe(200);
    const resolved = report({ id: 'evt-3', type: 'resolved', token });
    expect((await post(resolved, signed(resolved))).body).toEqual({ recorded: true });
    expect(await funnel()).toMatchObject({ conversationsStarted: 1, conversationsResolved: 1 });

    // A second report of an outcome the call has: accepted, nothing more recorded.
    const again = report({ id: 'evt-4', type: 'resolved', token });
    const second = await post(again, signed(again));
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ recorded: false });
    expect(await outcomeEvents(callId)).toEqual(['conversation-started', 'agent-engaged', 'conversation-resolved']);
    // The dashboard counts what the report counts, once each.
    const metrics = (await request(server.app).get('/metrics')).text;
    expect(metrics).toContain('ivr_deflect_conversation_outcomes_total{campaign="support",outcome="conversation-resolved"} 1');
    expect(metrics).toContain('ivr_deflect_conversation_outcomes_total{campaign="support",outcome="conversation-started"} 1');
    const [startEvent] = (await server.store.listEvents(callId)).filter((e) => e.type === 'conversation-started');
    expect(startEvent?.detail).toEqual({ source: 'conversations', reportedAt: '2026-12-01T10:02:30Z' });
  });

  it('takes an outcome days after the link expired, within the grace, and not after it', async () => {
    serve({ CONVERSATION_TOKEN_GRACE_DAYS: '2' });
    const { token, callId } = await textedCall();
    // The token expired at 11:00; two days of grace end on 3 December at 11:00.
    clock = new Date('2026-12-03T10:59:00.000Z');
    const resolved = report({ id: 'late-1', type: 'resolved', token });
    expect((await post(resolved, signed(resolved))).status).toBe(200);
    clock = new Date('2026-12-03T11:01:00.000Z');
    const abandoned = report({ id: 'late-2', type: 'abandoned', token });
    const res = await post(abandoned, signed(abandoned));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/^token: expired/);
    expect(await outcomeEvents(callId)).toEqual(['conversation-resolved']);
  });

  describe('refuses, and records nothing', () => {
    let token: string;
    let callId: string;
    beforeEach(async () => {
      serve();
      ({ token, callId } = await textedCall());
    });
    afterEach(async () => {
      expect(await outcomeEvents(callId)).toEqual([]);
      expect(await funnel()).toMatchObject({ conversationsStarted: 0, conversationsResolved: 0 });
    });

    it('a forged signature (another secret), and a body changed after signing', async () => {
      const body = report({ id: 'f-1', type: 'resolved', token });
      const forged = await post(body, signed(body, clock, 'not-the-secret-but-just-as-long-as-it-32'));
      expect(forged.status).toBe(401);
      expect(forged.body).toEqual({ error: 'X-Signature does not match' });
      const tampered = await post(report({ id: 'f-1', type: 'abandoned', token }), signed(body));
      expect(tampered.status).toBe(401);
    });

    it('an unsigned request', async () => {
      const res = await post(report({ id: 'u-1', type: 'resolved', token }), { 'Content-Type': 'application/json' });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/missing X-Signature-Timestamp or X-Signature/);
    });

    it('a stale timestamp (six minutes old), correctly signed', async () => {
      const body = report({ id: 's-1', type: 'resolved', token });
      const res = await post(body, signed(body, new Date(clock.getTime() - 6 * 60_000)));
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/X-Signature-Timestamp is more than 300 seconds away/);
    });

    it('a tampered token (the call id changed, the signature kept) and a token signed with another key', async () => {
      const [header, , signature] = token.split('.');
      const payload = Buffer.from(JSON.stringify({ sub: 'another-call', exp: START.getTime() / 1000 + 3600 })).toString('base64url');
      const tampered = report({ id: 't-1', type: 'resolved', token: `${header}.${payload}.${signature}` });
      const res = await post(tampered, signed(tampered));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'token: not a context token of ours' });

      const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(callId).setExpirationTime('1h').sign(new TextEncoder().encode('some-other-key-of-thirty-two-chars-x'));
      const other = report({ id: 't-2', type: 'resolved', token: foreign });
      expect((await post(other, signed(other))).status).toBe(403);
    });

    it('a genuine token whose call is not kept: 404, and its id not remembered', async () => {
      const key = new TextEncoder().encode(TOKEN_SECRET);
      const gone = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('a-purged-call').setExpirationTime(START.getTime() / 1000 + 3600).sign(key);
      const body = report({ id: 'g-1', type: 'resolved', token: gone });
      const res = await post(body, signed(body));
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'token: its call is no longer kept' });
    });

    it('a body without a valid type or id: 400 naming the field', async () => {
      const badType = report({ id: 'b-1', type: 'closed', token });
      const res = await post(badType, signed(badType));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/^type: /);
      const noId = report({ type: 'resolved', token });
      expect((await post(noId, signed(noId))).body.error).toMatch(/^id: /);
      const notJson = '{"id": "x", ';
      expect((await post(notJson, signed(notJson))).status).toBe(400);
    });

    it('a body over 16 kB: 413', async () => {
      const body = report({ id: 'big', type: 'resolved', token, padding: 'x'.repeat(17 * 1024) });
      expect((await post(body, signed(body))).status).toBe(413);
    });
  });

  it('refuses a replay of an accepted request inside the five minutes, by its id', async () => {
    serve();
    const { token, callId } = await textedCall();
    const body = report({ id: 'evt-replayed', type: 'conversation-started', token });
    const headers = signed(body);
    expect((await post(body, headers)).status).toBe(200);
    clock = new Date(clock.getTime() + 60_000);
    const replay = await post(body, headers);
    expect(replay.status).toBe(409);
    expect(replay.body.error).toMatch(/^id: /);
    // And after a restart on the same data: the id is remembered in the store, not in memory.
    const { dataDir } = server;
    await server.close();
    serve({}, dataDir);
    clock = new Date(clock.getTime() + 60_000);
    expect((await post(body, headers)).status).toBe(409);
    expect(await outcomeEvents(callId)).toEqual(['conversation-started']);
  });

  it('is off (404) when CONVERSATION_WEBHOOK_SECRET is unset', async () => {
    serve({ CONVERSATION_WEBHOOK_SECRET: '' });
    const body = report({ id: 'x', type: 'resolved', token: 'a.b.c' });
    const res = await post(body, signed(body));
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/CONVERSATION_WEBHOOK_SECRET/);
  });
});

import { createHmac } from 'node:crypto';
import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * LivePerson's conversation change notifications (README "Conversation outcomes") on
 * POST /webhooks/conversations/liveperson, through the whole app.
 *
 * The fake notifications follow LivePerson's documented shapes: the Webhooks protocol
 * (https://developers.liveperson.com/connector-api-webhooks-notification-protocol.html:
 * x-liveperson-account-id, x-liveperson-client-id, x-liveperson-signature "sha1=" +
 * Base64 HMAC-SHA1 of the payload with the app's client secret, sha256= for accounts set
 * up so, Base64 or hex) and the ExConversationChangeNotification of the Messaging Window
 * API (https://developers.liveperson.com/messaging-window-api-api-reference-subscribe-to-conversation-metadata.html).
 * The signature here is computed independently, from that page's description.
 */
const DNIS = 'tel:+18005550100';
const ANI = '+16175551234';
const TOKEN_SECRET = 'a-context-token-secret-of-32-chars-or-more';
const CLIENT_SECRET = 'lp-client-secret-0123456789';
const START = new Date('2026-12-01T10:00:00.000Z');

let clock: Date;
let server: TestServer;

beforeEach(() => {
  clock = START;
  server = startTestServer({
    campaigns: [campaign({ link: 'https://chat.example.com/start?t={contextToken}' })],
    env: { CONTEXT_TOKEN_SECRET: TOKEN_SECRET, LIVEPERSON_WEBHOOK_SECRET: CLIENT_SECRET },
    now: () => clock,
  });
});
afterEach(() => server.close());

async function textedCall(): Promise<{ token: string; callId: string }> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: ANI });
  await caller.press('1');
  await caller.press('1');
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const [message] = res.body.messages as Array<{ body: string; callId: string }>;
  const code = /\/s\/([0-9A-Za-z]+)/.exec(message?.body ?? '')?.[1];
  const click = await request(server.app).get(`/s/${code}`).set('User-Agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)');
  return { token: new URL(click.headers.location as string).searchParams.get('t') ?? '', callId: message?.callId ?? '' };
}

/** One UPSERT of a conversation's metadata, as LivePerson's notification carries it. */
function change(token: string, state: 'OPEN' | 'CLOSE', options: { agent?: boolean; closeReason?: string; at?: number } = {}) {
  const at = options.at ?? clock.getTime();
  return {
    type: 'UPSERT',
    result: {
      convId: 'c2f4b0a6-5e3d-4a8e-9f0b-1d2c3b4a5e6f',
      effectiveTTR: -1,
      conversationDetails: {
        skillId: '1234567890',
        participants: [
          { id: 'consumer-1', role: 'CONSUMER' },
          ...(options.agent ? [{ id: '123456.789', role: 'ASSIGNED_AGENT' }] : []),
        ],
        state,
        stage: state,
        ...(options.closeReason ? { closeReason: options.closeReason } : {}),
        startTs: START.getTime() + 60_000,
        metaDataLastUpdateTs: at,
        context: { type: 'SharkContext', lang: 'en-US', contextToken: token },
      },
      numberOfunreadMessages: {},
    },
  };
}

const notification = (...changes: unknown[]) => JSON.stringify({ kind: 'notification', body: { changes }, type: 'cqm.ExConversationChangeNotification' });

function lpHeaders(body: string, secret = CLIENT_SECRET, algorithm: 'sha1' | 'sha256' = 'sha1', encoding: 'base64' | 'hex' = 'base64') {
  return {
    'Content-Type': 'application/json',
    'x-liveperson-account-id': '12345678',
    'x-liveperson-client-id': 'a1b2c3d4-webhooks-app',
    'x-liveperson-signature': `${algorithm}=${createHmac(algorithm, secret).update(body, 'utf8').digest(encoding)}`,
  };
}

const post = (body: string, headers: Record<string, string>) => request(server.app).post('/webhooks/conversations/liveperson').set(headers).send(body);

async function outcomes(callId: string): Promise<string[]> {
  return (await server.store.listEvents(callId)).map((e) => e.type).filter((t) => t.startsWith('conversation-') || t === 'agent-engaged');
}

async function funnelTotal(): Promise<Record<string, unknown>> {
  const res = await request(server.app).get('/api/reports/funnel?from=2026-12-01&to=2026-12-02&by=campaign').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  return res.body.total as Record<string, unknown>;
}

describe('POST /webhooks/conversations/liveperson', () => {
  it('maps a conversation opened, taken by an agent and closed to started, engaged and resolved', async () => {
    const { token, callId } = await textedCall();
    const opened = notification(change(token, 'OPEN'));
    const res = await post(opened, lpHeaders(opened));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ recorded: 1, already: 0, replays: 0, ignored: 0 });

    clock = new Date(START.getTime() + 5 * 60_000);
    // SHA-256 in hex: an account configured so.
    const taken = notification(change(token, 'OPEN', { agent: true }));
    expect((await post(taken, lpHeaders(taken, CLIENT_SECRET, 'sha256', 'hex'))).body).toMatchObject({ recorded: 1 });
    clock = new Date(START.getTime() + 20 * 60_000);
    const closed = notification(change(token, 'CLOSE', { agent: true, closeReason: 'CONSUMER' }));
    expect((await post(closed, lpHeaders(closed))).body).toMatchObject({ recorded: 1 });

    expect(await outcomes(callId)).toEqual(['conversation-started', 'agent-engaged', 'conversation-resolved']);
    expect(await funnelTotal()).toMatchObject({ conversationsStarted: 1, conversationsResolved: 1 });
  });

  it('a conversation closed before any agent took it is abandoned', async () => {
    const { token, callId } = await textedCall();
    const closed = notification(change(token, 'CLOSE', { closeReason: 'SYSTEM' }));
    expect((await post(closed, lpHeaders(closed))).body).toMatchObject({ recorded: 1 });
    expect(await outcomes(callId)).toEqual(['conversation-abandoned']);
    expect(await funnelTotal()).toMatchObject({ conversationsStarted: 1, conversationsResolved: 0 });
  });

  it('refuses a forged signature and a body changed after signing: 401, nothing recorded', async () => {
    const { token, callId } = await textedCall();
    const body = notification(change(token, 'CLOSE', { agent: true, closeReason: 'AGENT' }));
    const forged = await post(body, lpHeaders(body, 'someone-elses-secret-0123'));
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ error: 'x-liveperson-signature does not match' });
    const unsigned = await post(body, { 'Content-Type': 'application/json' });
    expect(unsigned.status).toBe(401);
    const tampered = await post(notification(change(token, 'CLOSE', { closeReason: 'SYSTEM' })), lpHeaders(body));
    expect(tampered.status).toBe(401);
    expect(await outcomes(callId)).toEqual([]);
  });

  it('a replayed notification records nothing (answered 200, so LivePerson does not retry it)', async () => {
    const { token, callId } = await textedCall();
    const body = notification(change(token, 'OPEN'));
    const headers = lpHeaders(body);
    expect((await post(body, headers)).body).toMatchObject({ recorded: 1 });
    clock = new Date(START.getTime() + 60 * 60_000);
    const replay = await post(body, headers);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ recorded: 0, already: 0, replays: 1, ignored: 0 });
    expect(await outcomes(callId)).toEqual(['conversation-started']);
  });

  it('ignores changes older than two days (their ids are forgotten), without our token, or with a forged one', async () => {
    const { token, callId } = await textedCall();
    clock = new Date(START.getTime() + 49 * 3_600_000);
    const old = notification(change(token, 'CLOSE', { agent: true, at: START.getTime() + 60_000 }));
    expect((await post(old, lpHeaders(old))).body).toEqual({ recorded: 0, already: 0, replays: 0, ignored: 1 });
    const [header, , signature] = token.split('.');
    const forgedToken = `${header}.${Buffer.from(JSON.stringify({ sub: 'x', exp: 9_999_999_999 })).toString('base64url')}.${signature}`;
    const noToken = notification(change('', 'OPEN'), change(forgedToken, 'OPEN'));
    expect((await post(noToken, lpHeaders(noToken))).body).toEqual({ recorded: 0, already: 0, replays: 0, ignored: 2 });
    expect(await outcomes(callId)).toEqual([]);
  });

  it('is off (404) without LIVEPERSON_WEBHOOK_SECRET', async () => {
    await server.close();
    server = startTestServer({ env: { CONTEXT_TOKEN_SECRET: TOKEN_SECRET }, now: () => clock });
    const body = notification();
    expect((await post(body, lpHeaders(body))).status).toBe(404);
  });
});

import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import pino from 'pino';
import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Context for the agent (README "Context for the agent"), through the whole app: an IVR
 * starts a call with ctx.* values, the caller takes the text, the link carries a token,
 * and the chat platform trades the token for the context on GET /api/context/:token.
 */
const DNIS = 'tel:+18005550100';
const ANI = '+16175551234';
const SECRET = 'a-context-token-secret-of-32-chars-or-more';
const API_TOKEN = 'chat-platform-token-0123456789';
const START = new Date('2026-12-01T10:00:00.000Z');

let clock: Date;
let server: TestServer;
let logged: string;

beforeEach(() => {
  clock = START;
  logged = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged += String(chunk);
      done();
    },
  });
  server = startTestServer({
    campaigns: [
      campaign({
        link: 'https://chat.example.com/start?t={contextToken}&c={campaignId}',
        context: { allow: ['intent', 'account', 'language', 'waited'], maxLength: 16 },
      }),
    ],
    env: { CONTEXT_TOKEN_SECRET: SECRET, CONTEXT_API_TOKEN: API_TOKEN, CONTEXT_TOKEN_TTL_MINUTES: '60' },
    now: () => clock,
    log: pino({ level: 'debug' }, sink),
  });
});
afterEach(() => server.close());

/** A call with context that takes the text; every document it was served, and the token of its link. */
async function callWithContext(extra: Record<string, string> = {}) {
  const caller = new IvrCaller(server.app);
  const documents: string[] = [];
  await caller.start({
    dnis: DNIS,
    ani: ANI,
    'ctx.intent': 'billing',
    'ctx.account': 'AC123',
    'ctx.waited': '240',
    // Not on the allow-list, too long, a control character: each dropped.
    'ctx.ssn': '078051120',
    'ctx.language': 'fr-CA-x-much-too-long',
    ...extra,
  });
  documents.push(caller.xml);
  await caller.press('1');
  documents.push(caller.xml);
  await caller.press('1');
  documents.push(caller.xml);
  expect(caller.ending().result.status).toBe('sent');

  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const [message] = res.body.messages as Array<{ body: string; callId: string }>;
  const code = /\/s\/([0-9A-Za-z]+)/.exec(message?.body ?? '')?.[1];
  const click = await request(server.app).get(`/s/${code}`).set('User-Agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)');
  expect(click.status).toBe(302);
  const location = click.headers.location as string;
  const token = new URL(location).searchParams.get('t') ?? '';
  return { documents, body: message?.body ?? '', location, token, callId: message?.callId ?? '' };
}

const askContext = (token: string, bearer = API_TOKEN) =>
  request(server.app).get(`/api/context/${encodeURIComponent(token)}`).set('Authorization', `Bearer ${bearer}`);

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** RFC 7515 section 5.2, written here from the RFC, not with jose: HMAC-SHA256 over "header.payload". */
function hs256Valid(token: string, secret: string): boolean {
  const [header, payload, signature] = token.split('.');
  return createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url') === signature;
}

function expectRefused(res: request.Response) {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: 'invalid or expired context token' });
  expect(JSON.stringify(res.body)).not.toContain('billing');
}

describe('a call with context, through the app', () => {
  it('texts a link whose token opens the allowed context for the chat platform', async () => {
    const { token, callId } = await callWithContext();

    // A compact JWS, HS256, signed with CONTEXT_TOKEN_SECRET (checked independently of the app).
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256' });
    expect(hs256Valid(token, SECRET)).toBe(true);
    // Only the call id and the expiry: CONTEXT_TOKEN_TTL_MINUTES after the text.
    expect(payload).toEqual({ sub: callId, exp: START.getTime() / 1000 + 3600 });

    const res = await askContext(token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      campaignId: 'support',
      dnis: '+18005550100',
      ani: '+*******1234',
      context: { intent: 'billing', account: 'AC123', waited: '240' },
      variant: null,
      channel: 'sms',
      offeredAt: START.toISOString(),
      acceptedAt: START.toISOString(),
      textedAt: START.toISOString(),
    });
    // The admin token opens it too.
    expect((await askContext(token, ADMIN_TOKEN)).status).toBe(200);
  });

  it('counts the names it dropped on the offered event, never their values', async () => {
    const { callId } = await callWithContext({ 'ctx.note': 'bell\u0007here' });
    const offered = (await server.store.listEvents(callId)).find((e) => e.type === 'offered');
    expect(offered?.detail).toMatchObject({ contextDropped: 3 });
    expect(JSON.stringify(await server.store.listEvents(callId))).not.toMatch(/078051120|much-too-long|bell/);
    expect(logged).not.toMatch(/078051120|much-too-long/);
  });

  it('keeps the context out of the VoiceXML, the text, the link and the logs', async () => {
    const { documents, body, location, token } = await callWithContext();
    for (const clear of ['billing', 'AC123']) {
      for (const xml of documents) expect(xml).not.toContain(clear);
      expect(body).not.toContain(clear);
      expect(location).not.toContain(clear);
      expect(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).not.toContain(clear);
      await askContext(token);
      expect(logged).not.toContain(clear);
    }
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(SECRET);
  });

  it('reads context from a POSTed form body as from the query string', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: ANI, 'ctx.intent': 'moving', 'ctx.account': 'AC9' }, { method: 'post' });
    const callId = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'))?.[1] ?? '';
    expect((await server.store.getCall(callId))?.context).toEqual({ intent: 'moving', account: 'AC9' });
  });

  it('keeps nothing when the campaign has no context setting', async () => {
    server.close();
    server = startTestServer({
      campaigns: [campaign({ link: 'https://chat.example.com/start?t={contextToken}' })],
      env: { CONTEXT_TOKEN_SECRET: SECRET, CONTEXT_API_TOKEN: API_TOKEN },
      now: () => clock,
    });
    const { token } = await callWithContext();
    const res = await askContext(token);
    expect(res.status).toBe(200);
    expect(res.body.context).toEqual({});
  });
});

describe('tokens that open nothing', () => {
  it('refuses an expired token (the clock moved past CONTEXT_TOKEN_TTL_MINUTES)', async () => {
    const { token } = await callWithContext();
    clock = new Date(START.getTime() + 3600_000 - 1000);
    expect((await askContext(token)).status).toBe(200);
    clock = new Date(START.getTime() + 3600_000);
    expectRefused(await askContext(token));
  });

  it('refuses a token whose payload was changed (another call id, a later expiry)', async () => {
    const { token, callId } = await callWithContext();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; exp: number };
    expectRefused(await askContext(`${header}.${b64url(JSON.stringify({ ...claims, exp: claims.exp + 86_400 }))}.${signature}`));
    expectRefused(await askContext(`${header}.${b64url(JSON.stringify({ ...claims, sub: `${callId}x` }))}.${signature}`));
  });

  it('refuses a token whose signature was changed', async () => {
    const { token } = await callWithContext();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expectRefused(await askContext(`${header}.${payload}.${flipped.toString('base64url')}`));
    expectRefused(await askContext(`${header}.${payload}.`));
  });

  it('refuses alg "none" and any algorithm but HS256, even with the right secret', async () => {
    const { token } = await callWithContext();
    const payload = token.split('.')[1] ?? '';
    expectRefused(await askContext(`${b64url(JSON.stringify({ alg: 'none' }))}.${payload}.`));
    expectRefused(await askContext(`${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; exp: number };
    const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject(claims.sub).setExpirationTime(claims.exp).sign(new TextEncoder().encode(SECRET));
    expectRefused(await askContext(hs512));
  });

  it('refuses a token signed with another secret', async () => {
    const { token } = await callWithContext();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; exp: number };
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setExpirationTime(claims.exp)
      .sign(new TextEncoder().encode('another-secret-of-at-least-32-characters'));
    expectRefused(await askContext(forged));
    expectRefused(await askContext('not-a-token'));
    expectRefused(await askContext('x'.repeat(5_000)));
  });

  it('answers 401 without the bearer token, or with a wrong one, before looking at the token', async () => {
    const { token } = await callWithContext();
    const bare = await request(server.app).get(`/api/context/${token}`);
    expect(bare.status).toBe(401);
    expect(JSON.stringify(bare.body)).not.toContain('billing');
    const wrong = await askContext(token, 'not-the-token-0123456789');
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('billing');
  });
});

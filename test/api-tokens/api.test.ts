import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server';

/**
 * Named API tokens through the real app and SQLite store: an admin makes one, its holder
 * uses it within its role, the audit trail names it, a revocation shuts it out from the
 * next request, and its secret is never seen again: not in a list, a log line or the trail.
 */

function logSink(): { sink: Writable; text(): string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { sink, text: () => text };
}

let clock = Date.parse('2026-12-01T09:00:00Z');
const now = () => new Date(clock);
let server: TestServer;
let logs: ReturnType<typeof logSink>;

beforeEach(() => {
  clock = Date.parse('2026-12-01T09:00:00Z');
  logs = logSink();
  server = startTestServer({ now, log: pino({ level: 'trace' }, logs.sink) });
});
afterEach(() => server.close());

const asAdmin = (req: request.Test) => req.set('Authorization', `Bearer ${ADMIN_TOKEN}`);
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

async function create(fields: Record<string, unknown>, by = ADMIN_TOKEN): Promise<request.Response> {
  return request(server.app).post('/api/tokens').set(bearer(by)).send(fields);
}

async function auditText(): Promise<string> {
  return JSON.stringify(await server.store.searchAudit({ limit: 500 }));
}

describe('named API tokens', () => {
  it('creates a token whose secret is shown once, and which then works within its role until revoked', async () => {
    const made = await create({ name: 'reporting', role: 'viewer' });
    expect(made.status).toBe(201);
    const secret = made.body.secret as string;
    expect(secret).toMatch(/^ivrd_[A-Za-z0-9_-]{43}$/);
    expect(made.body.token).toMatchObject({ name: 'reporting', role: 'viewer', createdBy: 'admin', status: 'active', revokedAt: null });
    expect(JSON.stringify(made.body.token)).not.toContain(secret.slice(5));

    // A viewer reads, but may not manage tokens.
    expect((await request(server.app).get('/api/messages').set(bearer(secret))).status).toBe(200);
    const refused = await request(server.app).post('/api/tokens').set(bearer(secret)).send({ name: 'mine', role: 'admin' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('this needs the admin role; you have viewer');
    expect((await request(server.app).get('/api/tokens').set(bearer(secret))).status).toBe(403);

    // The list: the token, its last use, and nothing of its secret.
    const list = await asAdmin(request(server.app).get('/api/tokens'));
    expect(list.status).toBe(200);
    expect(list.body.tokens).toEqual([expect.objectContaining({ id: made.body.token.id, name: 'reporting', lastUsedAt: '2026-12-01T09:00:00.000Z' })]);
    expect(list.text).not.toContain(secret.slice(5));
    expect(list.text).not.toMatch(/[0-9a-f]{64}/);

    clock += 60_000;
    const revoked = await asAdmin(request(server.app).delete(`/api/tokens/${made.body.token.id}`));
    expect(revoked.status).toBe(200);
    expect(revoked.body.token).toMatchObject({ status: 'revoked', revokedBy: 'admin', revokedAt: '2026-12-01T09:01:00.000Z' });
    const after = await request(server.app).get('/api/messages').set(bearer(secret));
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('missing or invalid bearer token in the Authorization header');
    // Revoked once: again is a 404.
    expect((await asAdmin(request(server.app).delete(`/api/tokens/${made.body.token.id}`))).status).toBe(404);
  });

  it('lets an admin token manage tokens, and names each token in the audit trail', async () => {
    const ops = (await create({ name: 'ops-robot', role: 'admin' })).body.secret as string;
    const ci = await create({ name: 'ci', role: 'editor' }, ops);
    expect(ci.status).toBe(201);
    expect(ci.body.token.createdBy).toBe('ops-robot');
    await request(server.app).get('/api/messages').set(bearer(ci.body.secret as string));
    expect((await request(server.app).delete(`/api/tokens/${ci.body.token.id}`).set(bearer(ops))).status).toBe(200);

    const entries = (await server.store.searchAudit({ limit: 50 })).reverse().map((e) => [e.actorKind, e.actorName, e.action, e.target]);
    expect(entries).toEqual([
      ['token', 'admin', 'token.use', 'token:admin'],
      ['token', 'admin', 'token.create', 'token:ops-robot'],
      ['token', 'ops-robot', 'token.use', 'token:ops-robot'],
      ['token', 'ops-robot', 'token.create', 'token:ci'],
      ['token', 'ci', 'token.use', 'token:ci'],
      ['token', 'ops-robot', 'token.revoke', 'token:ci'],
    ]);
  });

  it('refuses a tampered secret, a revoked one reissued under the same name, and an expired one, all with the same 401', async () => {
    const first = await create({ name: 'ci', role: 'editor' });
    const secret = first.body.secret as string;
    const tampered = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    await asAdmin(request(server.app).delete(`/api/tokens/${first.body.token.id}`));
    // The name is free again once revoked; the new token has a new secret, the old one stays dead.
    clock += 1000;
    const second = await create({ name: 'ci', role: 'editor' });
    expect(second.status).toBe(201);
    expect(second.body.secret).not.toBe(secret);
    clock += 1000;
    const soon = await create({ name: 'short-lived', role: 'viewer', expiresAt: '2026-12-01T10:00:00Z' });
    expect(soon.body.token.expiresAt).toBe('2026-12-01T10:00:00.000Z');
    expect((await request(server.app).get('/api/messages').set(bearer(soon.body.secret as string))).status).toBe(200);
    clock = Date.parse('2026-12-01T10:00:00Z');

    const answers = [];
    for (const presented of [secret, tampered, soon.body.secret as string, `ivrd_${'A'.repeat(43)}`, 'ivrd_short']) {
      const res = await request(server.app).get('/api/messages').set(bearer(presented));
      answers.push([res.status, res.body.error]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify([401, 'missing or invalid bearer token in the Authorization header'])]));
    expect((await request(server.app).get('/api/messages').set(bearer(second.body.secret as string))).status).toBe(200);
    expect((await asAdmin(request(server.app).get('/api/tokens'))).body.tokens.map((t: { name: string; status: string }) => [t.name, t.status])).toEqual([
      ['short-lived', 'expired'],
      ['ci', 'active'],
      ['ci', 'revoked'],
    ]);
  });

  it.each([
    [{ name: 'admin', role: 'viewer' }, 'name'],
    [{ name: 'Has Caps', role: 'viewer' }, 'name'],
    [{ name: 'x'.repeat(41), role: 'viewer' }, 'name'],
    [{ name: 'ok', role: 'owner' }, 'role'],
    [{ name: 'ok', role: 'viewer', expiresAt: 'tomorrow' }, 'expiresAt'],
  ])('refuses %j with a 400 naming %s', async (fields, field) => {
    const res = await create(fields);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(field);
    expect((await asAdmin(request(server.app).get('/api/tokens'))).body.tokens).toEqual([]);
  });

  it('refuses a second active token of one name (409) and an expiry already past (400)', async () => {
    await create({ name: 'ci', role: 'viewer' });
    expect((await create({ name: 'ci', role: 'admin' })).status).toBe(409);
    expect((await create({ name: 'later', role: 'viewer', expiresAt: '2026-12-01T08:59:59Z' })).status).toBe(400);
  });

  it('never writes a secret into a log line or an audit entry', async () => {
    const made = await create({ name: 'reporting', role: 'admin' });
    const secret = made.body.secret as string;
    await request(server.app).get('/api/messages').set(bearer(secret));
    await request(server.app).get('/api/tokens').set(bearer(secret));
    await request(server.app).delete(`/api/tokens/${made.body.token.id}`).set(bearer(secret));
    await request(server.app).get('/api/messages').set(bearer(secret));
    expect(logs.text()).toContain('API token created');
    expect(logs.text()).toContain('API token revoked');
    for (const text of [logs.text(), await auditText()]) {
      expect(text).not.toContain(secret.slice(5));
      expect(text).not.toContain(createHash('sha256').update(secret).digest('hex'));
    }
  });
});

describe('last use and revocation across instances', () => {
  it('writes last use at most once a minute', async () => {
    const made = await create({ name: 'poller', role: 'viewer' });
    const lastUsed = async () => ((await asAdmin(request(server.app).get('/api/tokens'))).body.tokens[0] as { lastUsedAt: string | null }).lastUsedAt;
    expect(await lastUsed()).toBeNull();
    for (const at of ['09:00:00', '09:00:30', '09:00:59']) {
      clock = Date.parse(`2026-12-01T${at}Z`);
      expect((await request(server.app).get('/api/messages').set(bearer(made.body.secret as string))).status).toBe(200);
    }
    expect(await lastUsed()).toBe('2026-12-01T09:00:00.000Z');
    clock = Date.parse('2026-12-01T09:01:30Z');
    await request(server.app).get('/api/messages').set(bearer(made.body.secret as string));
    expect(await lastUsed()).toBe('2026-12-01T09:01:30.000Z');
  });

  it('refuses a token revoked on one instance from the next request on another (no cache)', async () => {
    // A second instance on the same data: what one revokes, the other reads at once.
    const other = startTestServer({ dataDir: server.dataDir, now });
    try {
      const made = await create({ name: 'shared', role: 'editor' });
      const secret = made.body.secret as string;
      expect((await request(other.app).get('/api/messages').set(bearer(secret))).status).toBe(200);
      expect((await asAdmin(request(server.app).delete(`/api/tokens/${made.body.token.id}`))).status).toBe(200);
      expect((await request(other.app).get('/api/messages').set(bearer(secret))).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe('the admin API without ADMIN_TOKEN', () => {
  it('stays off (503) until a named token exists, then takes that token', async () => {
    const srv = startTestServer({ env: { ADMIN_TOKEN: '' }, now });
    try {
      const off = await request(srv.app).get('/api/messages').set('Authorization', 'Bearer anything-at-all-here');
      expect(off.status).toBe(503);
      expect(off.body.error).toContain('ADMIN_TOKEN');
      // As an admin would in the console (the console page goes through the same ApiTokens).
      const { ApiTokens } = await import('../../src/api-tokens/tokens');
      const { AuditTrail } = await import('../../src/audit/trail');
      const silent = pino({ level: 'silent' });
      const made = await new ApiTokens(srv.store, new AuditTrail(srv.store, silent, now), silent, now).create({ name: 'ops', role: 'editor' }, { kind: 'user', name: 'ops-lead' });
      if (made.kind !== 'created') throw new Error(made.kind);
      expect((await request(srv.app).get('/api/messages').set(bearer(made.secret))).status).toBe(200);
      expect((await request(srv.app).get('/api/messages').set('Authorization', 'Bearer anything-at-all-here')).status).toBe(401);
    } finally {
      await srv.close();
    }
  });
});

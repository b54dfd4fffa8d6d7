import request from 'supertest';
import { startTestServer, type TestServer } from '../helpers/server';
import { scrape, valueOf } from './scrape';

/** What a load balancer or an orchestrator asks before sending calls to an instance. */

describe('/healthz', () => {
  it('says the process is alive', async () => {
    const server = startTestServer();
    try {
      const res = await request(server.app).get('/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(res.headers['cache-control']).toBe('no-store');
    } finally {
      await server.close();
    }
  });
});

describe('/readyz', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is ready with the store answering, campaigns loaded and the gateway configured', async () => {
    server = startTestServer();
    const res = await request(server.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      status: 'ok',
      checks: {
        store: { status: 'ok' },
        campaigns: { status: 'ok', count: 1 },
        gateway: { status: 'ok', name: 'sandbox' },
      },
    });
  });

  it('is not ready when the store cannot be read, and says so', async () => {
    server = startTestServer();
    await server.store.close();
    const res = await request(server.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('failed');
    expect(res.body.checks.store).toEqual({ status: 'failed', error: expect.stringMatching(/not open/) });
    expect(res.body.checks.campaigns.status).toBe('ok');
    // The scrape still works, so the other series stay on the graphs; the outbox reads NaN.
    expect(valueOf(await scrape(server.app), 'ivr_deflect_outbox_pending')).toBeNaN();
  });

  it('is not ready without a campaign: every call would be handed back', async () => {
    server = startTestServer({ campaigns: [] });
    const res = await request(server.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.campaigns).toEqual({ status: 'failed', error: 'no campaigns loaded' });
    expect(res.body.checks.store.status).toBe('ok');
  });

  it('answers draining once shutdown has begun, while the calls in progress still get their documents', async () => {
    server = startTestServer();
    server.readiness.drain();
    const res = await request(server.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'draining' });
    expect((await request(server.app).get('/healthz')).status).toBe(200);
    expect((await request(server.app).get('/vxml/start?dnis=%2B18005550100&ani=%2B16175551234')).text).toContain('<vxml');
  });
});

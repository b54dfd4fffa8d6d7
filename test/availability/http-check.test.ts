import { HttpAvailability } from '../../src/availability/http-check';
import { valueAt } from '../../src/availability/remote';
import type { AvailabilityAnswer, AvailabilityRequest } from '../../src/availability/port';
import { HttpAvailability as HttpSchema } from '../../src/availability/settings';
import { localOutbound } from '../helpers/outbound';
import { json, startFakeServer, type FakeServer } from '../fakes/fake-server';

const TOKEN = 'avail-key-8b1d6e3f90';
const REQUEST: AvailabilityRequest = { campaignId: 'support', dnis: '+18005550100', ani: '+14155550123', callId: 'call-1' };

let fake: FakeServer;

beforeAll(async () => {
  fake = await startFakeServer(() => json(200, { open: true }));
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(() => json(200, { open: true }));
});

function check(overrides: Record<string, unknown> = {}): HttpAvailability {
  const settings = HttpSchema.parse({
    kind: 'http',
    url: `${fake.url}/staffing/now?queue=support`,
    availablePath: 'open',
    headers: { 'X-Api-Key': '{secret:STAFFING_KEY}' },
    ...overrides,
  });
  return new HttpAvailability(settings, { STAFFING_KEY: TOKEN }, localOutbound());
}

function ask(c = check(), signal = AbortSignal.timeout(5000)): Promise<AvailabilityAnswer> {
  return c.check(REQUEST, signal);
}

function expectError(answer: AvailabilityAnswer, detail: RegExp): void {
  expect(answer).toEqual({ kind: 'error', detail: expect.stringMatching(detail) });
  expect(JSON.stringify(answer)).not.toContain(TOKEN);
}

describe('HttpAvailability: the request', () => {
  it('GETs the configured URL with the resolved secret header and no body', async () => {
    await ask();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/staffing/now?queue=support');
    expect(req.headers['x-api-key']).toBe(TOKEN);
    expect(req.headers.accept).toBe('application/json');
    expect(req.body).toBe('');
  });

  it('POSTs the configured body as JSON', async () => {
    await ask(check({ method: 'POST', body: { queue: 'support', skills: ['en'] } }));

    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req.body)).toEqual({ queue: 'support', skills: ['en'] });
  });
});

describe('HttpAvailability: reading the answer', () => {
  it('follows a dotted path through objects and array indexes', async () => {
    fake.respond(() => json(200, { data: { queues: [{ open: false }, { open: true }] } }));

    expect(await ask(check({ availablePath: 'data.queues.1.open' }))).toEqual({ kind: 'available' });
    expect(await ask(check({ availablePath: 'data.queues.0.open' }))).toMatchObject({ kind: 'not-available' });
  });

  it('compares with availableEquals strictly when set', async () => {
    fake.respond(() => json(200, { state: 'OPEN', agents: 1 }));

    expect(await ask(check({ availablePath: 'state', availableEquals: 'OPEN' }))).toEqual({ kind: 'available' });
    expect(await ask(check({ availablePath: 'state', availableEquals: 'CLOSED' }))).toEqual({
      kind: 'not-available',
      detail: 'state is not "CLOSED"',
    });
    expect(await ask(check({ availablePath: 'agents', availableEquals: '1' }))).toMatchObject({ kind: 'not-available' });
  });

  it.each([
    [0, 'not-available'],
    [null, 'not-available'],
    ['', 'not-available'],
    [3, 'available'],
    ['yes', 'available'],
  ])('treats %p as %s without availableEquals', async (value, kind) => {
    fake.respond(() => json(200, { open: value }));

    expect(await ask()).toMatchObject({ kind });
  });

  it('reads the chat URL, its validity and the wait', async () => {
    fake.respond(() => json(200, { open: true, chat: { url: 'https://chat.example/s/1f2e', ttl: 90 }, waitSeconds: 40 }));

    const answer = await ask(check({ urlPath: 'chat.url', validForSecondsPath: 'chat.ttl', waitSecondsPath: 'waitSeconds' }));
    expect(answer).toEqual({ kind: 'available', chatUrl: 'https://chat.example/s/1f2e', validForSeconds: 90, expectedWaitSeconds: 40 });
  });

  it('ignores figures that are not numbers, and a chat URL the answer does not give', async () => {
    fake.respond(() => json(200, { open: true, ttl: '90', wait: 'soon' }));

    const answer = await ask(check({ urlPath: 'chat.url', validForSecondsPath: 'ttl', waitSecondsPath: 'wait' }));
    expect(answer).toEqual({ kind: 'available' });
  });

  it('treats a chat URL that is not absolute http(s) as a malformed answer', async () => {
    fake.respond(() => json(200, { open: true, url: '/chat/1f2e' }));

    expectError(await ask(check({ urlPath: 'url' })), /url is not an absolute http\(s\) URL/);
  });

  it('answers an error when the answer lacks availablePath, even via inherited names', async () => {
    fake.respond(() => json(200, { status: 'ok' }));

    expectError(await ask(check({ availablePath: 'data.open' })), /^answer has no data\.open$/);
    expectError(await ask(check({ availablePath: 'constructor' })), /^answer has no constructor$/);
  });

  it('answers an error for a non-2xx status with the status alone: an echoed secret or a page never rides along', async () => {
    fake.respond((req) => json(401, { error: `bad key ${String(req.headers['x-api-key'])}` }));
    expectError(await ask(), /^HTTP 401$/);

    fake.respond(() => ({ status: 500, body: 'root:x:0:0:root:/root:/bin/bash' }));
    expect(await ask()).toEqual({ kind: 'error', detail: 'HTTP 500' });
  });

  it('answers an error for a body that is not JSON, without quoting it', async () => {
    fake.respond(() => ({ status: 200, body: '<html>maintenance</html>' }));

    expect(await ask()).toEqual({ kind: 'error', detail: 'answer is not JSON' });
  });

  it('says which value it wanted, never the value the answer gave', async () => {
    fake.respond(() => json(200, { open: 'internal-hostname.corp:5432' }));

    expect(await ask(check({ availableEquals: 'yes' }))).toEqual({ kind: 'not-available', detail: 'open is not "yes"' });
  });

  it('gives up on a hanging endpoint after timeoutMs', async () => {
    fake.respond(() => ({ status: 200, hang: true }));

    expectError(await ask(check({ timeoutMs: 200 })), /^no answer within 200 ms$/);
  });
});

describe('valueAt', () => {
  it('indexes arrays only with numeric segments', () => {
    expect(valueAt({ a: [10, 20] }, 'a.1')).toBe(20);
    expect(valueAt({ a: [10, 20] }, 'a.length')).toBeUndefined();
    expect(valueAt({ a: { '0': 'x' } }, 'a.0')).toBe('x');
    expect(valueAt({ a: 'text' }, 'a.b')).toBeUndefined();
  });
});

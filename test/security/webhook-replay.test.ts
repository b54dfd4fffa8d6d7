import request from 'supertest';
import type { WebhookRequest } from '../../src/sms/port';
import { PLIVO_ACCOUNT, plivoInboundFields, signedPlivoRequest } from '../fakes/plivo';
import { TWILIO_ACCOUNT, signedTwilioRequest, twilioInboundFields } from '../fakes/twilio';
import { PUBLIC_BASE_URL, startTestServer, type TestServer } from '../helpers/server';

/**
 * A captured, correctly signed inbound START replayed after the person texted STOP: it is
 * answered like any callback (so the vendor does not retry) and changes nothing; the
 * number stays on the opt-out list. Through the real routes, adapters and SQLite store
 * (the store's part runs on PostgreSQL too, in test/store/contract.ts).
 */

const PERSON = '+16175553100';
const OURS = '+16175550000';

let server: TestServer;
/** Each reading of the clock is a second later: every callback arrives after the one before. */
let clock = Date.parse('2030-01-01T12:00:00Z');

beforeAll(() => {
  server = startTestServer({
    now: () => new Date((clock += 1000)),
    env: {
      TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      TWILIO_FROM: OURS,
      PLIVO_AUTH_ID: PLIVO_ACCOUNT.authId,
      PLIVO_AUTH_TOKEN: PLIVO_ACCOUNT.authToken,
      PLIVO_FROM: OURS,
    },
  });
});
afterAll(() => server.close());

function post(path: string, signed: WebhookRequest): request.Test {
  let test = request(server.app).post(path);
  for (const [name, value] of Object.entries(signed.headers)) if (value !== undefined) test = test.set(name, value);
  return test.send(signed.rawBody);
}

describe.each([
  {
    gateway: 'twilio',
    inbound: (from: string, text: string) => {
      const url = `${PUBLIC_BASE_URL}/webhooks/twilio/inbound`;
      return signedTwilioRequest(TWILIO_ACCOUNT.authToken, url, twilioInboundFields({ from, to: OURS, body: text }));
    },
  },
  {
    gateway: 'plivo',
    inbound: (from: string, text: string) => {
      const url = `${PUBLIC_BASE_URL}/webhooks/plivo/inbound`;
      return signedPlivoRequest(PLIVO_ACCOUNT.authToken, url, plivoInboundFields({ from: from.slice(1), to: OURS.slice(1), text }));
    },
  },
])('$gateway: a replayed inbound START', ({ gateway, inbound }) => {
  const number = gateway === 'twilio' ? PERSON : PERSON.replace('3100', '3101');
  const path = `/webhooks/${gateway}/inbound`;

  it('does not undo a later STOP', async () => {
    const start = inbound(number, 'START');
    expect((await post(path, start)).status).toBe(204);
    expect((await post(path, inbound(number, 'STOP'))).status).toBe(204);
    expect(await server.store.isSuppressed(number)).toBe(true);

    // The attacker replays the captured START, signature and all, again and again.
    for (let i = 0; i < 3; i += 1) expect((await post(path, start)).status).toBe(204);
    expect(await server.store.isSuppressed(number)).toBe(true);
  });

  it('lets the person opt back in with a new START', async () => {
    expect((await post(path, inbound(number, 'START'))).status).toBe(204);
    expect(await server.store.isSuppressed(number)).toBe(false);
  });

  it('a replayed STOP does not undo a newer START', async () => {
    const stop = inbound(number, 'STOP');
    expect((await post(path, stop)).status).toBe(204);
    expect((await post(path, inbound(number, 'START'))).status).toBe(204);
    expect((await post(path, stop)).status).toBe(204);
    expect(await server.store.isSuppressed(number)).toBe(false);
  });
});

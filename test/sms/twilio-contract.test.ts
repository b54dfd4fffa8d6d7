import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TwilioSettings } from '../../src/sms/gateway-config';
import { TwilioGateway } from '../../src/sms/twilio';
import { TWILIO_ACCOUNT, twilioMessagesPath } from '../fakes/twilio';

/**
 * The adapter against Twilio's official OpenAPI spec, served by Prism as a validating
 * mock: Prism answers 422 to a request that breaks the spec (401 without credentials,
 * 415 for a wrong content type) and otherwise the spec's own 201 example, whose sid is
 * "SMaaaa…". --errors also turns a violation in Prism's own answer into an error, so a
 * 201 means both sides of the exchange matched the spec.
 *
 * The spec only requires To; it cannot tell that Twilio also needs From (or a Messaging
 * Service) and Body: test/sms/twilio.test.ts covers those against the fake.
 */

const SPEC = path.resolve(__dirname, '../../../shared/vendor-specs/twilio_api_v2010.json');
// Run with this node: the .bin entry is a symlink to Prism's JS entry point.
const PRISM = path.resolve(__dirname, '../../node_modules/.bin/prism');
const STATUS_URL = 'https://ivr.example.com/webhooks/twilio/status';

const specAvailable = existsSync(SPEC);
if (!specAvailable) {
  console.warn(`\n*** NOTICE: ${SPEC} not found: the Twilio contract test is SKIPPED in this run. ***\n`);
}
const describeContract = specAvailable ? describe : describe.skip;

jest.setTimeout(60_000);

describeContract('TwilioGateway against the official Twilio API spec (Prism)', () => {
  let prism: ChildProcess;
  let prismUrl: string;
  let prismOutput = '';

  beforeAll(async () => {
    const port = await freePort();
    prism = spawn(process.execPath, [PRISM, 'mock', '-h', '127.0.0.1', '-p', String(port), '--errors', SPEC], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prism.stdout?.on('data', (chunk: Buffer) => (prismOutput += chunk.toString()));
    prism.stderr?.on('data', (chunk: Buffer) => (prismOutput += chunk.toString()));
    prismUrl = `http://127.0.0.1:${port}`;
    await waitUntilListening(port, prism, 50_000, () => prismOutput);
  }, 60_000);

  afterAll(async () => {
    if (prism && prism.exitCode === null && prism.signalCode === null) {
      const exited = once(prism, 'exit');
      prism.kill('SIGTERM');
      await exited;
    }
  });

  function gateway(overrides: Partial<TwilioSettings> = {}): TwilioGateway {
    return new TwilioGateway({ ...TWILIO_ACCOUNT, from: '+15005550006', baseUrl: prismUrl, ...overrides }, { statusUrl: STATUS_URL });
  }

  const sms = { id: 'msg-1', to: '+14155550100', body: 'Chat with us: https://x.example/c/abc' };

  it('sends a request the spec accepts, and reads the spec’s 201 as accepted', async () => {
    const outcome = await gateway().send(sms, AbortSignal.timeout(10_000));

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', code: 'queued' });
  });

  it('sends a request the spec accepts when sending through a Messaging Service', async () => {
    const outcome = await gateway({ from: undefined, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' }).send(sms, AbortSignal.timeout(10_000));

    expect(outcome).toMatchObject({ outcome: 'accepted' });
  });

  describe('Prism refuses what breaks the spec (so the checks above can fail)', () => {
    const auth = `Basic ${Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64')}`;
    const form = 'application/x-www-form-urlencoded';

    function post(headers: Record<string, string>, body: string, accountSid: string = TWILIO_ACCOUNT.accountSid): Promise<Response> {
      return fetch(`${prismUrl}${twilioMessagesPath(accountSid)}`, { method: 'POST', headers, body });
    }

    it('a JSON body instead of a form: 415', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': 'application/json' }, JSON.stringify({ To: sms.to, Body: sms.body }));

      expect(res.status).toBe(415);
    });

    it('a form without To: 422 naming To', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': form }, new URLSearchParams({ From: '+15005550006', Body: 'x' }).toString());

      expect(res.status).toBe(422);
      expect(await res.text()).toContain("'To'");
    });

    it('a StatusCallback that is not a URI: 422', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': form }, new URLSearchParams({ To: sms.to, StatusCallback: 'not a url' }).toString());

      expect(res.status).toBe(422);
      expect(await res.text()).toContain('StatusCallback');
    });

    it('an AccountSid that is not one: 422', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': form }, new URLSearchParams({ To: sms.to }).toString(), 'AC123');

      expect(res.status).toBe(422);
    });

    it('no HTTP Basic credentials: 401', async () => {
      const res = await post({ 'Content-Type': form }, new URLSearchParams({ To: sms.to }).toString());

      expect(res.status).toBe(401);
    });
  });
});

/** A port nothing listens on right now (Prism needs a number, not 0). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until the port takes connections; fails early, with Prism's output, if it exits. */
async function waitUntilListening(port: number, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`prism exited before listening:\n${output()}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prism was not listening on ${port} after ${timeoutMs} ms:\n${output()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

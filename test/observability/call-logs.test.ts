import { Writable } from 'node:stream';
import { createLogger } from '../../src/log';
import type { SendOutcome, SmsGateway } from '../../src/sms/port';
import { IvrCaller } from '../helpers/ivr-caller';
import { startTestServer } from '../helpers/server';

/**
 * An operator following one call through the logs: every line written for it carries
 * its call id (and the platform's), whichever module wrote it, and no phone number
 * appears whole.
 */

const DNIS = 'tel:+18005550100';

type Line = Record<string, unknown>;

function capture(): { sink: Writable; lines(): Line[]; text(): string } {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { sink, text: () => text, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) };
}

function callIdOf(caller: IvrCaller): string {
  const id = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'))?.[1];
  if (!id) throw new Error('no call id in the document');
  return id;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

it('puts the call id on every line of two calls at once, and masks every number', async () => {
  // The text to the number Bea keys in is throttled once: the outbox sends it later, in the background.
  let throttledOnce = false;
  const gateway: SmsGateway = {
    name: 'acme',
    send: async (sms): Promise<SendOutcome> => {
      if (sms.to === '+16175559876' && !throttledOnce) {
        throttledOnce = true;
        return { outcome: 'retryable', code: 'http-429', detail: 'Too Many Requests', throttled: true, retryAfterMs: 50 };
      }
      return { outcome: 'accepted', vendorMessageId: `acme-${sms.id}` };
    },
  };
  const log = capture();
  const server = startTestServer({ gateway, log: createLogger('trace', log.sink), env: { SMS_RETRY_BASE_MS: '100' } });
  try {
    const before = log.lines().length;
    const ann = new IvrCaller(server.app);
    const bea = new IvrCaller(server.app);
    // Interleaved, as concurrent calls are: each line must name its own call.
    await Promise.all([
      ann.start({ dnis: DNIS, ani: 'sip:+16175551234@gw.example.com;user=phone', callid: 'cvp-ann' }),
      bea.start({ dnis: DNIS, ani: '+16175552222', callid: 'cvp-bea' }),
    ]);
    const calls = { [callIdOf(ann)]: 'cvp-ann', [callIdOf(bea)]: 'cvp-bea' };
    const beaCallId = callIdOf(bea);
    await Promise.all([ann.press('1'), bea.press('1')]);
    await Promise.all([ann.press('1'), bea.press('2')]);
    await bea.press('6175559876');
    await bea.press('1');
    expect(ann.ending().result).toMatchObject({ status: 'sent', reason: 'accepted' });
    expect(bea.ending().result).toMatchObject({ status: 'sent', reason: 'queued' });
    await until(() => log.lines().some((l) => l.msg === 'text accepted by the gateway' && l.to === '+*******9876'));

    const lines = log.lines().slice(before);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => l.path)).toEqual(expect.arrayContaining(['/vxml/start', '/vxml/offer', '/vxml/number', '/vxml/confirm']));
    expect(requests).toHaveLength(3 + 5);
    for (const line of lines) {
      expect(Object.keys(calls)).toContain(line.callId);
      // The background retry knows the call, not the request it came from.
      if (line.msg !== 'text accepted by the gateway' || line.to !== '+*******9876') {
        expect(line.platformCallId).toBe(calls[line.callId as string]);
      }
    }
    const offers = lines.filter((l) => l.msg === 'offer made');
    expect(offers.map((l) => [l.platformCallId, l.ani]).sort()).toEqual([
      ['cvp-ann', '+*******1234'],
      ['cvp-bea', '+*******2222'],
    ]);
    expect(lines.filter((l) => l.msg === 'text not sent yet: will retry')).toEqual([
      expect.objectContaining({ callId: beaCallId, platformCallId: 'cvp-bea', to: '+*******9876', gateway: 'acme' }),
    ]);

    // No number whole anywhere in the log, in any of the forms it came in.
    for (const digits of ['6175551234', '6175552222', '6175559876', '8005550100']) {
      expect(log.text()).not.toContain(digits);
    }
  } finally {
    await server.close();
  }
});

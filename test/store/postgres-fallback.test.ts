import type { NewMessage } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, TestSchema } from '../helpers/postgres';

/**
 * The fallback, exactly once, across instances: two stores with pools of their own on one
 * database (two processes behind a load balancer) race to fall back the same messages.
 * Every race ends with one fallback message and one channel-fallback event, whoever won.
 */

const at = (seconds: number): string => new Date(Date.parse('2026-12-04T20:00:00.000Z') + seconds * 1000).toISOString();

function first(id: string): NewMessage {
  return {
    id,
    callId: `call-${id}`,
    campaignId: 'support',
    to: '+16175551234',
    body: '',
    channel: 'whatsapp',
    gateway: 'whatsapp-cloud',
    fallbackGateway: null,
    fallback: { channel: 'sms', gateway: 'twilio', fallbackGateway: null, body: 'Chat: https://t.example.test/s/x', afterSeconds: 120 },
    segments: 1,
    encoding: 'GSM-7',
    createdAt: at(0),
  };
}

const fallbackOf = (id: string, fallbackId: string): NewMessage => ({
  ...first(id),
  id: fallbackId,
  channel: 'sms',
  gateway: 'twilio',
  fallback: null,
  body: 'Chat: https://t.example.test/s/x',
  createdAt: at(121),
});

describePostgres('PostgreSQL: the channel fallback across instances', () => {
  const schema = new TestSchema();
  let a: PgStore;
  let b: PgStore;
  beforeAll(async () => {
    a = await schema.open();
    b = await schema.open();
  });
  afterAll(() => schema.drop());

  it('two instances racing on 20 messages make exactly one fallback each', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `wa-${i}`);
    for (const id of ids) await a.createMessage(first(id));
    const results = await Promise.all(
      ids.flatMap((id) => [
        a.fallBack(id, fallbackOf(id, `${id}-a`), 'no-delivery', at(121)),
        b.fallBack(id, fallbackOf(id, `${id}-b`), 'no-delivery', at(121)),
      ]),
    );
    expect(results.filter((r) => r.kind === 'created')).toHaveLength(20);
    expect(results.filter((r) => r.kind === 'already')).toHaveLength(20);
    for (const id of ids) {
      const messages = await b.listMessages({ limit: 10, callId: `call-${id}` });
      expect(messages.filter((m) => m.fallbackOf === id)).toHaveLength(1);
      expect((await a.listEvents(`call-${id}`)).filter((e) => e.type === 'channel-fallback')).toHaveLength(1);
    }
    expect(await a.dueFallbacks(at(1000), 50)).toEqual([]);
  });
});

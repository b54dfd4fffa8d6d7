import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite';
import type { NewMessage } from '../../src/store/port';
import { startTestServer, tempDir } from '../helpers/server';
import { scrape, valueOf } from './scrape';

/** How far behind the outbox is: what an alert on a stuck gateway reads. */

const NOW = new Date('2026-03-02T15:00:00.000Z');

function message(id: string, secondsAgo: number): NewMessage {
  return {
    id,
    callId: `call-${id}`,
    campaignId: 'support',
    to: '+16175551234',
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'sandbox',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: new Date(NOW.getTime() - secondsAgo * 1000).toISOString(),
  };
}

describe('the outbox gauges', () => {
  it('show the texts waiting and how long the oldest has waited', async () => {
    const server = startTestServer({ now: () => NOW });
    try {
      // Nothing sends them: they wait, as behind a gateway that is down.
      await server.dispatcher.stop();
      await server.store.createMessage(message('m-old', 90));
      await server.store.createMessage(message('m-new', 5));

      const samples = await scrape(server.app);
      expect(valueOf(samples, 'ivr_deflect_outbox_pending')).toBe(2);
      expect(valueOf(samples, 'ivr_deflect_outbox_oldest_pending_age_seconds')).toBe(90);
    } finally {
      await server.close();
    }
  });

  it('read zero when nothing waits', async () => {
    const server = startTestServer();
    try {
      const samples = await scrape(server.app);
      expect(valueOf(samples, 'ivr_deflect_outbox_pending')).toBe(0);
      expect(valueOf(samples, 'ivr_deflect_outbox_oldest_pending_age_seconds')).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('SqliteStore.outboxDepth', () => {
  it('counts queued texts only, with the oldest one\'s creation time', async () => {
    const store = SqliteStore.open(path.join(tempDir('depth'), 'data'));
    try {
      expect(await store.outboxDepth()).toEqual({ queued: 0, oldestCreatedAt: null });
      await store.createMessage(message('sent-long-ago', 3600));
      await store.createMessage(message('failed', 1800));
      await store.createMessage(message('waiting', 60));
      await store.createMessage(message('retrying', 30));
      await store.recordAttempt('sent-long-ago', { status: 'sent', via: 'sandbox', vendorMessageId: 'v1', vendorStatus: null }, NOW.toISOString());
      await store.recordAttempt('failed', { status: 'failed', via: 'sandbox', errorCode: 'x', errorDetail: 'refused' }, NOW.toISOString());
      await store.recordAttempt(
        'retrying',
        { status: 'queued', via: 'sandbox', nextAttemptAt: NOW.toISOString(), errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true },
        NOW.toISOString(),
      );

      expect(await store.outboxDepth()).toEqual({ queued: 2, oldestCreatedAt: message('waiting', 60).createdAt });
    } finally {
      await store.close();
    }
  });
});

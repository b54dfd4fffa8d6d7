import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { RetentionJob, type RetentionSettings } from '../../src/retention/job';
import type { RetentionClass, Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * The daily retention run on the real SQLite store: what it deletes, that it yields to the
 * event loop between batches (a timer set when it starts fires before it ends), that its
 * batches shrink when they are slow and grow when they are quick (on an injected clock,
 * never the machine's speed), that one instance runs at a time, and when it runs.
 */

const NOW = new Date('2026-12-05T03:00:00.000Z');
const DAY = 86_400_000;
const ago = (days: number): string => new Date(NOW.getTime() - days * DAY).toISOString();
const SETTINGS: RetentionSettings = {
  days: { calls: 400, events: 400, messages: 400, consent: 1826, 'short-links': 30, audit: 2190 },
  hour: 3,
};
const log = pino({ level: 'silent' });

let root: string;
let store: SqliteStore;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-retention-job-'));
  store = SqliteStore.open(path.join(root, 'data'));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function calls(count: number, at: string, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.createCall(
      { id: `${prefix}${i}`, campaignId: 'support', mode: 'goto', dnis: '+18005550100', ani: '+16175551234', platformCallId: '', state: 'handed-back', result: null, lastPage: null, createdAt: at, expiresAt: at },
      [{ type: 'started' }, { type: 'not-offered' }],
    );
  }
}

/** The store, with the size of every batch asked for recorded. */
function recording(inner: Store): { store: Store; sizes: Map<RetentionClass, number[]> } {
  const sizes = new Map<RetentionClass, number[]>();
  const store = Object.create(inner) as Store;
  store.pruneBatch = (c, before, limit) => {
    sizes.set(c, [...(sizes.get(c) ?? []), limit]);
    return inner.pruneBatch(c, before, limit);
  };
  return { store, sizes };
}

describe('the retention job', () => {
  it('deletes what is past its class, keeps the rest, and lets a timer set at its start fire before it ends', async () => {
    await calls(1200, ago(500), 'old');
    await calls(10, ago(10), 'new');
    const deleted: Record<string, number> = {};
    const job = new RetentionJob({
      store,
      settings: SETTINGS,
      log,
      now: () => NOW,
      counters: { deleted: (c, n) => void (deleted[c] = (deleted[c] ?? 0) + n), finished: () => undefined },
    });
    let timerFired = false;
    let firedBeforeEnd = false;
    setTimeout(() => {
      timerFired = true;
    }, 0);
    const report = await job.run().then((r) => {
      firedBeforeEnd = timerFired;
      return r;
    });
    expect(firedBeforeEnd).toBe(true);
    expect(report).toMatchObject({ ran: true, deleted: { calls: 1200, events: 2400, messages: 0, consent: 0, 'short-links': 0 } });
    expect(deleted).toEqual({ calls: 1200, events: 2400 });
    expect(await store.getCall('old0')).toBeUndefined();
    expect(await store.getCall('new9')).toBeDefined();
    expect(await store.listEvents('new9')).toHaveLength(2);
  });

  it('halves its batches while they take longer than the target, and grows them by a quarter while they take under half', async () => {
    await calls(3000, ago(500), 'old');
    const { store: spied, sizes } = recording(store);
    // Each batch "takes" 25 ms on this clock while the calls go, 1 ms afterwards (events).
    let t = 0;
    let slow = true;
    const clock = () => (t += slow ? 12.5 : 0.5);
    const job = new RetentionJob({ store: spied, settings: SETTINGS, log, now: () => NOW, clock, targetBatchMs: 10 });
    const run = job.run();
    await run;
    const callSizes = sizes.get('calls')!;
    expect(callSizes.slice(0, 4)).toEqual([500, 250, 125, 62]);
    slow = false;
    await calls(3000, ago(500), 'again');
    await job.run();
    const later = sizes.get('calls')!.slice(callSizes.length);
    // It starts from where the last run left it and grows while batches are quick.
    expect(later[1]).toBe(Math.floor(later[0]! * 1.25));
    expect(later[2]).toBe(Math.floor(later[1]! * 1.25));
  });

  it('runs on one instance at a time: another holding the lease makes it skip', async () => {
    await calls(5, ago(500), 'old');
    expect(await store.claimJobLease('retention', 'another-instance', NOW.toISOString(), new Date(NOW.getTime() + 3_600_000).toISOString())).toBe(true);
    const job = new RetentionJob({ store, settings: SETTINGS, log, now: () => NOW });
    expect(await job.run()).toEqual({ ran: false });
    expect(await store.getCall('old0')).toBeDefined();
  });

  it('keeps a class set to 0 days for ever, and hands the audit cutoff to the audit trail', async () => {
    await calls(5, ago(5000), 'old');
    const audit: string[] = [];
    const job = new RetentionJob({
      store,
      settings: { ...SETTINGS, days: { ...SETTINGS.days, calls: 0, events: 0 } },
      log,
      now: () => NOW,
      pruneAuditBefore: async (before) => {
        audit.push(before);
        return 3;
      },
    });
    expect(await job.run()).toMatchObject({ ran: true, deleted: { audit: 3 } });
    expect(await store.getCall('old0')).toBeDefined();
    expect(audit).toEqual([ago(2190)]);
  });

  it('runs daily at RETENTION_HOUR UTC', () => {
    expect(RetentionJob.delayToNext(new Date('2026-12-05T02:00:00.000Z'), 3)).toBe(3_600_000);
    expect(RetentionJob.delayToNext(new Date('2026-12-05T03:00:00.000Z'), 3)).toBe(DAY);
    expect(RetentionJob.delayToNext(new Date('2026-12-05T23:30:00.000Z'), 0)).toBe(30 * 60_000);
  });
});

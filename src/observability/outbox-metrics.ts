import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/port';

type Depth = Awaited<ReturnType<Store['outboxDepth']>>;

/**
 * The outbox's backlog, read from the store when Prometheus scrapes: how many texts wait
 * to be sent, and how long the oldest has waited (0 when none does). A growing age with
 * a steady count is a stuck gateway. If the store cannot answer, both read NaN (a gap on
 * a graph) rather than failing the whole scrape.
 */
export function registerOutboxGauges(registry: Registry, store: Store, now: () => Date): void {
  // Both gauges are collected in the same scrape: they share one query.
  let reading: Promise<Depth | undefined> | undefined;
  const depth = (): Promise<Depth | undefined> =>
    (reading ??= store
      .outboxDepth()
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
      }));

  new Gauge({
    name: 'ivr_deflect_outbox_pending',
    help: 'Texts in the outbox waiting to be sent (queued, including retries)',
    registers: [registry],
    async collect() {
      this.set((await depth())?.queued ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'ivr_deflect_outbox_oldest_pending_age_seconds',
    help: 'How long the oldest text still in the outbox has waited since it was stored (0: none waiting)',
    registers: [registry],
    async collect() {
      const d = await depth();
      if (!d) this.set(Number.NaN);
      else this.set(d.oldestCreatedAt ? Math.max(0, (now().getTime() - Date.parse(d.oldestCreatedAt)) / 1000) : 0);
    },
  });
}

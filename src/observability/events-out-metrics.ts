import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventsOutCounters } from '../events-out/deliverer';
import type { Store } from '../store/port';

/**
 * Events out, per endpoint: events delivered, failed attempts, and the lag (how long the
 * oldest event not yet delivered has waited, 0 when none does). A growing lag with failed
 * attempts rising is an endpoint down or refusing us; the logs say which.
 */
export class EventsOutMetrics implements EventsOutCounters {
  private readonly deliveredTotal: Counter<'endpoint'>;
  private readonly failedTotal: Counter<'endpoint'>;

  constructor(private readonly registry: Registry) {
    this.deliveredTotal = new Counter({
      name: 'ivr_deflect_events_out_delivered_total',
      help: 'Call events an events-out endpoint acknowledged (2xx), counting repeats after a lost answer',
      labelNames: ['endpoint'],
      registers: [registry],
    });
    this.failedTotal = new Counter({
      name: 'ivr_deflect_events_out_failed_attempts_total',
      help: 'Deliveries to an events-out endpoint that failed (no 2xx) and will be retried',
      labelNames: ['endpoint'],
      registers: [registry],
    });
  }

  delivered(endpoint: string, events: number): void {
    this.deliveredTotal.inc({ endpoint }, events);
  }

  failedAttempt(endpoint: string): void {
    this.failedTotal.inc({ endpoint });
  }

  /** The lag gauge reads the store at scrape time: wired once the store is open. */
  watchLag(store: Store, endpoints: readonly string[], now: () => Date): void {
    if (!endpoints.length) return;
    new Gauge({
      name: 'ivr_deflect_events_out_lag_seconds',
      help: 'How long the oldest call event not yet delivered to an events-out endpoint has waited (0: none; NaN: the store did not answer)',
      labelNames: ['endpoint'],
      registers: [this.registry],
      async collect() {
        for (const endpoint of endpoints) {
          try {
            const cursor = await store.getEventCursor(endpoint);
            const [oldest] = cursor ? await store.eventsAfter(cursor.lastId, 1) : [];
            this.set({ endpoint }, oldest ? Math.max(0, (now().getTime() - Date.parse(oldest.createdAt)) / 1000) : 0);
          } catch {
            this.set({ endpoint }, Number.NaN);
          }
        }
      },
    });
  }
}

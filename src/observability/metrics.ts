import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Store } from '../store/port';
import { AuditMetrics } from './audit-metrics';
import { EventsOutMetrics } from './events-out-metrics';
import { FunnelMetrics } from './funnel-metrics';
import { PromGatewayMetrics } from './gateway-metrics';
import { registerOutboxGauges } from './outbox-metrics';
import { registerCampaignGauges } from './campaign-metrics';
import type { CampaignCatalog } from '../campaigns/catalog';
import { requestMetrics } from './request-metrics';
import { RetentionMetrics } from './retention-metrics';

let processRegistry: Registry | undefined;

/**
 * CPU, memory, event-loop lag, GC: facts of the process, so one set per process however
 * many apps it runs (tests run several; each set would add its own GC observer).
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The app's metrics, in a registry of its own rather than prom-client's global one, so
 * that two apps in one process (tests) count separately.
 */
export class Metrics {
  private readonly registry = new Registry();
  /** The store's EventObserver: the funnel counters. */
  readonly funnel = new FunnelMetrics(this.registry);
  /** Given to the outbox dispatcher. */
  readonly gateways = new PromGatewayMetrics(this.registry);
  /** Given to events out's deliverer; its lag gauge is wired once the store is open. */
  readonly eventsOut = new EventsOutMetrics(this.registry);
  /** Failed audit writes (given to the AuditTrail). */
  readonly audit = new AuditMetrics(this.registry);
  /** Given to the retention job. */
  readonly retention = new RetentionMetrics(this.registry);
  /** Times every HTTP request (mounted first in the app). */
  readonly requests: RequestHandler = requestMetrics(this.registry);

  /** The outbox gauges read the store at scrape time: wired once the store is open. */
  watchOutbox(store: Store, now: () => Date): void {
    registerOutboxGauges(this.registry, store, now);
  }

  /** The gauge of invalid campaign files reads the catalog at scrape time. */
  watchCampaigns(catalog: Pick<CampaignCatalog, 'entries' | 'fileProblems'>): void {
    registerCampaignGauges(this.registry, catalog);
  }

  /** A scrape: this app's series and the process's, in Prometheus text format. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }
}

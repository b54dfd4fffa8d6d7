import type { Express } from 'express';
import type { Logger } from 'pino';
import { CampaignRegistry, type Campaigns } from './campaigns/registry';
import type { Config } from './config';
import { DeflectionService } from './deflection/service';
import { createApp } from './http/app';
import { BuiltinShortener } from './shortener/builtin';
import { createGateway } from './sms/create-gateway';
import type { SmsGateway } from './sms/port';
import { SqliteStore } from './store/sqlite';
import type { Store } from './store/port';

export interface Server {
  app: Express;
  store: Store;
  campaigns: Campaigns;
  close(): Promise<void>;
}

/**
 * Wires the adapters to the ports: the one place that knows which implementations run.
 * Throws CampaignError for invalid campaigns (before the store is opened).
 */
export function composeServer(
  config: Config,
  log: Logger,
  overrides: { gateway?: SmsGateway; now?: () => Date } = {},
): Server {
  const campaigns = CampaignRegistry.fromDirectory(config.campaignsDir);
  const store = SqliteStore.open(config.dataDir);
  const now = overrides.now ?? (() => new Date());
  const service = new DeflectionService({
    campaigns,
    store,
    gateway: overrides.gateway ?? createGateway(config),
    shortener: new BuiltinShortener(store, config.publicBaseUrl, now),
    callTtlMs: config.callTtlMs,
    log,
    now,
  });
  const app = createApp({ service, store, adminToken: config.adminToken, log, now });
  return { app, store, campaigns, close: () => store.close() };
}

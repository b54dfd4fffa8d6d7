import type { Server as HttpServer } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { CampaignRegistry, type Campaigns } from './campaigns/registry';
import type { Config } from './config';
import { DeflectionService } from './deflection/service';
import { createApp } from './http/app';
import { answerIvrParseErrors } from './http/client-errors';
import { BuiltinShortener } from './shortener/builtin';
import { createGateway } from './sms/create-gateway';
import type { SmsGateway } from './sms/port';
import { SqliteStore } from './store/sqlite';
import { renderPage } from './vxml/render';
import type { Store } from './store/port';

export interface Server {
  app: Express;
  store: Store;
  campaigns: Campaigns;
  /** Starts the HTTP server, answering even unparseable IVR requests with VoiceXML. */
  listen(port: number, host?: string): HttpServer;
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
  const listen = (port: number, host?: string): HttpServer => {
    const http = host ? app.listen(port, host) : app.listen(port);
    answerIvrParseErrors(http, (mode) => renderPage(service.errorPage(mode)), log);
    return http;
  };
  return { app, store, campaigns, listen, close: () => store.close() };
}

import { ContextTokens } from './context/token';
import type { Server as HttpServer } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { createAvailabilityCheck } from './availability/create';
import { C2mClient } from './channels/c2m-client';
import { C2mBudgets } from './channels/c2m-offer';
import { livePersonFirstUrl } from './availability/liveperson';
import type { AvailabilityCheck } from './availability/port';
import type { CampaignCatalog, CampaignCheck } from './campaigns/catalog';
import { FileCampaignCatalog } from './campaigns/file-catalog';
import type { Campaign } from './campaigns/schema';
import { C2M_GATEWAY } from './deflection/channel-message';
import type { Config } from './config';
import { OfferRules } from './deflection/offer-rules';
import { DeflectionService } from './deflection/service';
import { createApp } from './http/app';
import { answerIvrParseErrors } from './http/client-errors';
import { boundedServer } from './http/security/connections';
import { ivrDoorOpen } from './http/security/ivr-door';
import { BudgetedLineTypeLookup } from './lookup/budget';
import { CachedLineTypeLookup } from './lookup/cached';
import type { LineTypeLookup } from './lookup/port';
import { TwilioLineTypeLookup } from './lookup/twilio-lookup';
import { Readiness } from './observability/health-routes';
import { Metrics } from './observability/metrics';
import { OutboundClient } from './outbound/client';
import { OutboundPolicy, type Resolver } from './outbound/policy';
import { Dispatcher } from './outbox/dispatcher';
import { BuiltinShortener, SHORT_CODE_LENGTH } from './shortener/builtin';
import { createGateways } from './sms/create-gateway';
import type { SmsGateway } from './sms/port';
import { segmentsWithTypicalLink } from './sms/segments';
import { legacyVoxeoWarning } from './sms/voxeo';
import { LiveCalls } from './simulator/live-calls';
import { SqliteStore } from './store/sqlite';
import { RetentionJob } from './retention/job';
import { systemActor } from './audit/actor';
import { AuditTrail } from './audit/trail';
import { erasedNumberKey } from './retention/number-key';
import { renderPage } from './vxml/render';
import type { EventObserver, NumberKey, Store } from './store/port';
import { EventsDeliverer } from './events-out/deliverer';

export interface Server {
  app: Express;
  store: Store;
  campaigns: CampaignCatalog;
  dispatcher: Dispatcher;
  /** Events out: delivers the call events to the configured endpoints (none: idle). */
  eventsOut: EventsDeliverer;
  /** The daily retention run (README "Data"); run() runs it now. */
  retention: RetentionJob;
  /** What /readyz answers; drain() when shutdown begins, so load balancers stop sending calls. */
  readiness: Readiness;
  /** Starts the HTTP server, answering even unparseable IVR requests with VoiceXML. */
  listen(port: number, host?: string): HttpServer;
  /**
   * Ends simulated calls, stops watching campaigns/ and the outbox (attempts in flight
   * finish; those still running after graceMs are handed back), then closes the store.
   */
  close(graceMs?: number): Promise<void>;
}

export interface Overrides {
  /** Replaces the default gateway (tests: a gateway that throws, or one with a counter). */
  gateway?: SmsGateway;
  /** Adds gateways by name, replacing configured ones. */
  gateways?: SmsGateway[];
  now?: () => Date;
  random?: () => number;
  /** How often the outbox polls for due messages (tests make it fast). */
  outboxPollMs?: number;
  /**
   * Replaces SMS_CALLER_WAIT_MS, beyond its bounds: tests whose gateway always answers make
   * the wait a hang guard, so a busy machine cannot turn "sent" into "on its way".
   */
  callerWaitMs?: number;
  /** How often events out looks for due endpoints (tests make it long and drive it themselves). */
  eventsOutPollMs?: number;
  /** Resolves host names for campaign URLs (tests: names without a network, DNS rebinding). */
  resolve?: Resolver;
}

/** What the storage choice needs from the environment, and the call flow needs of it. */
interface Environment {
  gateways: Map<string, SmsGateway>;
  defaultGateway: string;
  availability: AvailabilityChecks;
  /** Campaigns are checked against the environment when they load and whenever they change. */
  check: CampaignCheck;
  metrics: Metrics;
  /** The store's observer: the funnel metrics, then whoever listens (events out). */
  observer: EventObserver;
  onEvents(listener: () => void): void;
}

function environment(config: Config, overrides: Overrides): Environment {
  const gateways: Map<string, SmsGateway> = createGateways(config);
  for (const g of [...(overrides.gateways ?? []), ...(overrides.gateway ? [overrides.gateway] : [])]) gateways.set(g.name, g);
  const outbound = new OutboundClient(new OutboundPolicy(config.outbound, overrides.resolve));
  const availability = new AvailabilityChecks(config.campaignSecrets, outbound, config.abuse.availabilityChecksPerMinute, overrides.now);
  const metrics = new Metrics();
  const listeners: (() => void)[] = [];
  return {
    gateways,
    defaultGateway: overrides.gateway?.name ?? config.smsGateway,
    availability,
    // A campaign whose gateway or secret is missing never reaches a caller.
    check: (c) => [...gatewayProblems(c, gateways), ...availability.problems(c)],
    metrics,
    observer: (events) => {
      metrics.funnel.recorded(events);
      for (const listener of listeners) listener();
    },
    onEvents: (listener) => listeners.push(listener),
  };
}

/** The checks a campaign must pass in this environment (its gateways configured, its secrets set). */
export function campaignCheck(config: Config): CampaignCheck {
  return environment(config, {}).check;
}

/**
 * The embedded default: SQLite in DATA_DIR and the campaigns folder. An invalid campaign
 * file (including one naming a gateway the environment does not configure) serves its last
 * good copy or nothing; CampaignError is thrown, before the store is opened, only when the
 * folder cannot be read or none of its files can serve.
 */
export function composeServer(config: Config, log: Logger, overrides: Overrides = {}): Server {
  const env = environment(config, overrides);
  const campaigns = FileCampaignCatalog.open({ dir: config.campaignsDir, lastGoodDir: config.campaignsLastGoodDir, check: env.check, log });
  const store = SqliteStore.open(config.dataDir, env.observer, numberKeyOf(config));
  // A retention batch holds the event loop on SQLite: 5 ms.
  return wire(config, log, overrides, env, { store, campaigns, close: async () => undefined, retentionBatchMs: 5 });
}

/**
 * Several instances on one PostgreSQL (DATABASE_URL): the store and the campaigns live
 * there, so any instance can serve any step of any call. Migrations run under an advisory
 * lock, so instances may start together.
 */
export async function composeSharedServer(config: Config, log: Logger, overrides: Overrides = {}): Promise<Server> {
  const url = config.databaseUrl;
  if (!url) throw new Error('composeSharedServer needs DATABASE_URL');
  // The PostgreSQL driver and store are loaded only here: a server on SQLite never loads
  // them (src/lazy-module.ts says why).
  const [{ Pool }, { PgStore }, { PgCampaignCatalog }] = await Promise.all([import('pg'), import('./store/postgres'), import('./campaigns/pg-catalog')]);
  const env = environment(config, overrides);
  const onConnectionError = (err: Error) => log.warn({ err: err.message }, 'a PostgreSQL connection failed; the pool opens another');
  const numberKey = numberKeyOf(config);
  const store = await PgStore.open({ url, poolSize: config.databasePoolSize, observer: env.observer, onConnectionError, ...(numberKey ? { numberKey } : {}) });
  // The catalog's own small pool: one revision check per call start, and its rare writes.
  const catalogPool = new Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
  catalogPool.on('error', onConnectionError);
  try {
    const campaigns = await PgCampaignCatalog.open({ pool: catalogPool, check: env.check, log });
    // A retention batch only holds its rows' locks on PostgreSQL, and each batch costs round
    // trips: 50 ms batches delete faster, pausing nothing.
    return wire(config, log, overrides, env, { store, campaigns, close: () => catalogPool.end(), retentionBatchMs: 50 });
  } catch (err) {
    await Promise.all([store.close(), catalogPool.end()]);
    throw err;
  }
}

/** Wires the adapters to the ports: the one place that knows which implementations run. */
function wire(
  config: Config,
  log: Logger,
  overrides: Overrides,
  env: Environment,
  storage: { store: Store; campaigns: CampaignCatalog; close(): Promise<void>; retentionBatchMs: number },
): Server {
  const { gateways, defaultGateway, availability, metrics } = env;
  const { store, campaigns } = storage;
  warnAboutLongMessages(campaigns.all(), config.publicBaseUrl, log);
  const voxeo = legacyVoxeoWarning({
    configured: config.gateways.voxeo !== undefined,
    defaultGateway: config.smsGateway,
    fallbackGateway: config.smsFallbackGateway,
    campaigns: campaigns.all(),
  });
  if (voxeo) log.warn(voxeo.fields, voxeo.message);
  const availabilityOf = (c: Campaign) => availability.of(c);

  const routeFor = (campaign: Campaign) => {
    const gateway = campaign.gateway ?? defaultGateway;
    const fallback = campaign.fallbackGateway === 'none' ? undefined : (campaign.fallbackGateway ?? config.smsFallbackGateway);
    return { gateway, fallbackGateway: fallback && fallback !== gateway ? fallback : null };
  };

  const now = overrides.now ?? (() => new Date());
  metrics.watchOutbox(store, now);
  metrics.watchCampaigns(campaigns);
  const dispatcher = new Dispatcher({
    store,
    gateways,
    settings: config.outbox,
    log,
    now,
    metrics: metrics.gateways,
    ...(overrides.random ? { random: overrides.random } : {}),
    ...(overrides.outboxPollMs ? { pollMs: overrides.outboxPollMs } : {}),
  });
  // Links' {contextToken} and GET /api/context/:token share one key and the same clock.
  const contextTokens = config.context.tokenSecret ? new ContextTokens(config.context.tokenSecret, config.context.tokenTtlSeconds, now) : undefined;
  const service = new DeflectionService({
    campaigns,
    store,
    outbox: dispatcher,
    routeFor,
    shortener: new BuiltinShortener(store, config.publicBaseUrl, now),
    offerRules: new OfferRules({ store, availabilityOf, now }),
    ...(contextTokens ? { contextTokens } : {}),
    ...(config.lineTypeLookup ? { lookup: lineTypeLookup(config.lineTypeLookup, config.abuse.lookupsPerHour, now) } : {}),
    abuse: config.abuse,
    ...c2mDeps(config, now),
    callTtlMs: config.callTtlMs,
    callerWaitMs: overrides.callerWaitMs ?? config.outbox.callerWaitMs,
    log,
    now,
    ...(overrides.random ? { random: overrides.random } : {}),
  });
  const liveCalls = new LiveCalls();
  const readiness = new Readiness({ store, campaigns, gateways, defaultGateway, ivrOpen: ivrDoorOpen(config.host, config.security.ivrAccess), now });
  const numberKey = numberKeyOf(config);
  // One audit trail for the app's routes and our own jobs (retention records its pruning).
  const audit = new AuditTrail(store, log, now, metrics.audit);
  const app = createApp({ audit, numberKey, service, store, campaigns, gateways, publicBaseUrl: config.publicBaseUrl, adminToken: config.adminToken, console: config.console, security: config.security, liveCalls, log, now, metrics, metricsToken: config.metricsToken, readiness, holdAudioEncoding: config.holdAudioEncoding, ...(contextTokens ? { contextTokens } : {}), contextApiToken: config.context.apiToken, conversations: config.conversations });
  // Messages left queued by a previous run (a crash, a restart) go out now.
  dispatcher.start();
  const eventsOut = new EventsDeliverer({
    store,
    settings: config.eventsOut,
    log,
    now,
    metrics: metrics.eventsOut,
    ...(overrides.random ? { random: overrides.random } : {}),
    ...(overrides.eventsOutPollMs ? { settings: { ...config.eventsOut, pollMs: overrides.eventsOutPollMs } } : {}),
  });
  metrics.eventsOut.watchLag(store, eventsOut.endpoints.map((e) => e.name), now);
  // New events wake it at once; its timer catches retries and other instances' expired leases.
  env.onEvents(() => queueMicrotask(() => eventsOut.wake()));
  eventsOut.start();
  // Daily, at RETENTION_HOUR UTC; on PostgreSQL one instance at a time (a lease in the store).
  const targetBatchMs = storage.retentionBatchMs;
  // The audit table leaves only through pruneAuditBefore, which writes the chain's
  // checkpoint; the pruning itself is then an entry of the trail.
  const pruneAuditBefore = async (before: string): Promise<number> => {
    const pruned = await store.pruneAuditBefore(before, now().toISOString());
    if (pruned > 0) await audit.record(systemActor('retention'), 'audit.prune', null, { before, pruned });
    return pruned;
  };
  const retention = new RetentionJob({ store, settings: config.data.retention, log, now, counters: metrics.retention, targetBatchMs, pruneAuditBefore });
  retention.start();
  const listen = (port: number, host?: string): HttpServer => {
    // Stalled and half-open clients are timed out and destroyed (HTTP_*_TIMEOUT_MS,
    // HTTP_MAX_CONNECTIONS): they cannot hold descriptors for ever.
    const http = boundedServer(app, config.connections);
    if (host) http.listen(port, host);
    else http.listen(port);
    answerIvrParseErrors(http, (mode) => renderPage(service.errorPage(mode)), log);
    return http;
  };
  const close = async (graceMs?: number): Promise<void> => {
    // Simulated calls fetch from this server: end them while it still answers.
    await liveCalls.close();
    campaigns.close();
    await dispatcher.stop(graceMs);
    await eventsOut.stop(graceMs);
    await retention.stop();
    await store.close();
    await storage.close();
  };
  return { app, store, campaigns, dispatcher, eventsOut, retention, readiness, listen, close };
}

/**
 * Each campaign's availability check, built once per campaign version when the campaign
 * is checked, so a campaign naming an unset {secret:NAME}, or a URL the outbound policy
 * refuses on its face (an internal IP address), is refused before any call.
 */
class AvailabilityChecks {
  private readonly checks = new WeakMap<Campaign, AvailabilityCheck | undefined>();

  constructor(
    private readonly secrets: Config['campaignSecrets'],
    private readonly outbound: OutboundClient,
    private readonly checksPerMinute: number,
    private readonly now: (() => Date) | undefined,
  ) {}

  problems(campaign: Campaign): string[] {
    const url = availabilityUrl(campaign.availability);
    const refused = url && this.outbound.policy.problemWith(url.value);
    if (refused) return [`availability.${url.field}: ${refused}`];
    try {
      this.of(campaign);
      return [];
    } catch (err) {
      return [`availability: ${(err as Error).message}`];
    }
  }

  of(campaign: Campaign): AvailabilityCheck | undefined {
    if (!this.checks.has(campaign)) {
      const clock = this.now ? () => this.now!().getTime() : Date.now;
      this.checks.set(campaign, createAvailabilityCheck(campaign.availability, this.secrets, this.outbound, clock, this.checksPerMinute));
    }
    return this.checks.get(campaign);
  }
}

/** The URL a campaign's availability check requests, and the field that gives it. */
function availabilityUrl(settings: Campaign['availability']): { field: string; value: string } | undefined {
  if (settings.kind === 'http') return { field: 'url', value: settings.url };
  if (settings.kind === 'liveperson') return livePersonFirstUrl(settings);
  return undefined;
}

function lineTypeLookup(settings: NonNullable<Config['lineTypeLookup']>, perHour: number, now: () => Date): LineTypeLookup {
  // The budget counts paid requests only: it sits behind the cache.
  const paid = new BudgetedLineTypeLookup(new TwilioLineTypeLookup(settings), perHour, () => now().getTime());
  // 50,000 numbers is a few MB: a busy week of distinct callers.
  return settings.cacheTtlMs > 0 ? new CachedLineTypeLookup(paid, { ttlMs: settings.cacheTtlMs, maxEntries: 50_000 }) : paid;
}

function gatewayProblems(campaign: Campaign, gateways: ReadonlyMap<string, SmsGateway>): string[] {
  return [
    ...(['gateway', 'fallbackGateway'] as const).flatMap((field) => {
      const name = campaign[field];
      if (!name || name === 'none') return [];
      const gateway = gateways.get(name);
      if (!gateway) return [`${field}: ${name} is not configured (set its variables in the environment)`];
      // The campaign's texts: a WhatsApp-only or C2M gateway would refuse every one (Meta
      // takes no free-form text outside a customer's 24-hour window): name it in channels.
      const carries = gateway.channels ?? ['sms'];
      return carries.includes('sms') ? [] : [`${field}: ${name} does not carry sms (it carries ${carries.join(', ')}): name it in channels instead`];
    }),
    ...channelGatewayProblems(campaign, gateways),
  ];
}

/**
 * Each channel's gateway is configured and carries that channel (a gateway that lists no
 * channels carries SMS only). An SMS entry without its own gateway uses the campaign's,
 * checked above; LivePerson's invites go through its own gateway.
 */
function channelGatewayProblems(campaign: Campaign, gateways: ReadonlyMap<string, SmsGateway>): string[] {
  return (campaign.channels?.list ?? []).flatMap((entry, i) => {
    const name = entry.channel === 'c2m' ? C2M_GATEWAY : entry.gateway;
    if (!name) return [];
    const gateway = gateways.get(name);
    const field = `channels.list.${i}.${entry.channel === 'c2m' ? 'channel' : 'gateway'}`;
    if (!gateway) return [`${field}: ${name} is not configured (set its variables in the environment)`];
    const carries = gateway.channels ?? ['sms'];
    return carries.includes(entry.channel) ? [] : [`${field}: ${name} does not carry ${entry.channel} (it carries ${carries.join(', ')})`];
  });
}

/** A message that needs two segments costs twice, and some handsets show the parts apart. */
function warnAboutLongMessages(campaigns: readonly Campaign[], publicBaseUrl: string, log: Logger): void {
  const linkLength = `${publicBaseUrl}/s/`.length + SHORT_CODE_LENGTH;
  for (const c of campaigns) {
    const measured = segmentsWithTypicalLink(c.message, linkLength);
    if (measured.segments > 1) {
      log.warn(
        { campaignId: c.id, segments: measured.segments, encoding: measured.encoding, characters: measured.characters },
        'campaign message needs more than one SMS segment with its link',
      );
    }
  }
}

/**
 * LivePerson C2M's eligibility calls at the offer, when its gateway is configured (a
 * campaign listing C2M without it is refused at load). Its own client beside the
 * gateway's: each caches its token (one extra token fetch an hour).
 */
function c2mDeps(config: Config, now: () => Date): { c2m?: { client: C2mClient; budgets: C2mBudgets } } {
  const settings = config.gateways['liveperson-c2m'];
  if (!settings) return {};
  return { c2m: { client: new C2mClient(settings), budgets: new C2mBudgets(config.abuse.availabilityChecksPerMinute, () => now().getTime()) } };
}

/** How the stores find an erased number on the opt-out list: by ERASURE_KEY (none: nothing was erased). */
function numberKeyOf(config: Config): NumberKey | undefined {
  return config.data.erasureKey ? erasedNumberKey(config.data.erasureKey) : undefined;
}

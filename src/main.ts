import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { CampaignError } from './campaigns/registry';
import { composeServer, composeSharedServer } from './compose';
import { ConfigError, loadConfig, type Config } from './config';
import { isLoopbackHost } from './http/security/ivr-door';
import { openDoors } from './http/security/posture';
import { createLogger } from './log';
import { shutDownGracefully } from './shutdown';

/**
 * Start-up problems go to stderr with exit code 1, never a stack trace: one line for a bad
 * variable, one line per problem for invalid campaigns (all of them at once).
 */
function fail(message: string): never {
  process.stderr.write(`ivr-deflect: ${message}\n`);
  process.exit(1);
}

/** One warning per door left open (http/security/posture.ts), or one line saying none is. */
function logSecurityPosture(config: Config, log: Logger): void {
  const doors = openDoors(config);
  for (const { door, setting, message } of doors) log.warn({ security: door, setting }, `security: ${message}`);
  if (doors.length === 0) {
    log.info({ host: config.host }, isLoopbackHost(config.host) ? 'security: listening on loopback only: nothing is open to the network' : 'security: no door left open');
  }
}

async function main(): Promise<void> {
  // A .env file beside the project, when present, fills what the environment lacks.
  if (fs.existsSync('.env')) process.loadEnvFile('.env');

  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = createLogger(config.logLevel);

  let server;
  try {
    // DATABASE_URL: several instances share PostgreSQL; else the embedded SQLite file.
    server = config.databaseUrl ? await composeSharedServer(config, log) : composeServer(config, log);
  } catch (err) {
    if (err instanceof CampaignError) fail(err.message);
    fail(`cannot start: ${(err as Error).message}`);
  }
  const { campaigns } = server;

  if (!config.adminToken) log.warn('ADMIN_TOKEN is not set: the admin API (/api) is disabled');
  if (!config.console.passwordHash && !config.console.oidc) log.warn('ADMIN_PASSWORD_HASH and OIDC_ISSUER are not set: the admin console (/admin) is disabled');
  if (Object.keys(config.gateways).length > 0 && !process.env.PUBLIC_BASE_URL) {
    log.warn(
      { publicBaseUrl: config.publicBaseUrl },
      'PUBLIC_BASE_URL is not set: short links and vendor callbacks (/webhooks/...) point at this machine, which phones and vendors cannot reach',
    );
  }
  logSecurityPosture(config, log);
  if (campaigns.all().length === 0) {
    log.warn({ campaignsDir: config.campaignsDir }, 'no campaign files found: every call will be handed back');
  }
  const http = server.listen(config.port, config.host);
  http.on('error', (err) => fail(`cannot listen on ${config.host}:${config.port}: ${err.message}`));
  http.on('listening', () => {
    log.info(
      {
        port: (http.address() as AddressInfo | null)?.port ?? config.port,
        campaigns: campaigns.all().map((c) => c.id),
        gateway: config.smsGateway,
        fallbackGateway: config.smsFallbackGateway ?? null,
        vendorsConfigured: Object.keys(config.gateways),
        store: config.databaseUrl ? "postgresql" : `sqlite in ${config.dataDir}`,
      },
      `ivr-deflect listening: point your IVR at ${config.publicBaseUrl}/vxml/start?dnis=...&ani=...&callid=...`,
    );
  });

  const shutdown = (signal: string) => {
    // SIGINT is someone at a terminal (Ctrl-C): no load balancer to tell, so no drain.
    const times = { drainMs: signal === 'SIGTERM' ? config.shutdownDrainMs : 0, graceMs: config.shutdownGraceMs };
    log.info({ signal, ...times }, 'shutting down: finishing the requests and sends in flight');
    // A last resort if something hangs past the grace period: exit, leaving the outbox's
    // leases to run out (nothing is lost, a text may be sent twice).
    setTimeout(() => {
      log.error('shutdown did not finish in time: exiting');
      process.exit(1);
    }, times.drainMs + times.graceMs + 5_000).unref();
    const closable = { drain: () => server.readiness.drain(), close: server.close };
    shutDownGracefully(http, closable, times, log).then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

void main();

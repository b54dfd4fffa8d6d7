import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { CampaignInput } from '../../src/campaigns/schema';
import { composeServer, type Overrides, type Server } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { seedMigratedStore } from './migrated-store';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const PUBLIC_BASE_URL = 'https://t.example.test';
export const EXAMPLE_CAMPAIGN_FILE = path.resolve(__dirname, '../../campaigns/example.json');

/** The campaigns shipped in campaigns/ (the example, a UK one, one on keys 5 and 6), as a default server loads them. */
export function shippedCampaigns(): CampaignInput[] {
  const dir = path.dirname(EXAMPLE_CAMPAIGN_FILE);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'campaign.schema.json')
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CampaignInput);
}

/** A campaign like the shipped example, for tests to vary. */
export function campaign(overrides: Partial<CampaignInput> = {}): CampaignInput {
  return {
    id: 'support',
    name: 'Support chat',
    dnis: ['+1 800 555 0100'],
    message: 'Chat with us: {link}',
    link: 'https://chat.example.com/start?customer={callerId}&mobile={mobile}&call={callId}&dnis={dnis}&c={campaignId}',
    ...overrides,
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ivr-deflect-${prefix}-`));
}

export function writeCampaigns(dir: string, campaigns: CampaignInput[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const c of campaigns) fs.writeFileSync(path.join(dir, `${c.id}.json`), JSON.stringify(c, null, 2));
}

/**
 * For a test whose gateway always answers and that expects the caller to hear "sent": the
 * caller's wait (SMS_CALLER_WAIT_MS, 2.5 s) and the gateway attempt's timeout
 * (SMS_ATTEMPT_TIMEOUT_MS, 10 s) become hang guards, so a busy machine (a Prism proxy
 * checking each request against a vendor's spec, CPU-bound processes beside the suite)
 * cannot turn "sent" into "on its way". Tests of the wait itself keep the defaults.
 */
export function waitForTheGateway<T extends { env?: Record<string, string> }>(options: T): T & { callerWaitMs: number } {
  return { ...options, callerWaitMs: 120_000, env: { SMS_ATTEMPT_TIMEOUT_MS: '60000', ...options.env } };
}

export interface TestServer extends Server {
  dataDir: string;
  campaignsDir: string;
}

/**
 * The real app on the real SQLite store in a fresh folder, configured through the same
 * environment parsing as production.
 */
export function startTestServer(
  options: {
    campaigns?: CampaignInput[];
    env?: Record<string, string>;
    dataDir?: string;
    /** Where the server logs (default: nowhere). */
    log?: Logger;
  } & Overrides = {},
): TestServer {
  const root = tempDir('server');
  const campaignsDir = path.join(root, 'campaigns');
  writeCampaigns(campaignsDir, options.campaigns ?? [campaign()]);
  const dataDir = options.dataDir ?? path.join(root, 'data');
  const config = loadConfig({
    DATA_DIR: dataDir,
    CAMPAIGNS_DIR: campaignsDir,
    ADMIN_TOKEN,
    PUBLIC_BASE_URL,
    // The tests play the VoiceXML platform, from this machine: its networks get the
    // platform's rate limits. Tests of the defaults set IVR_ALLOWED_CIDRS to ''.
    IVR_ALLOWED_CIDRS: '127.0.0.0/8,::1',
    ...options.env,
  });
  // A copy of an empty migrated store, not a migration per server (test/helpers/migrated-store.ts).
  seedMigratedStore(dataDir);
  const { campaigns: _c, env: _e, dataDir: _d, log, ...overrides } = options;
  const server = composeServer(config, log ?? pino({ level: 'silent' }), { outboxPollMs: 20, ...overrides });
  return { ...server, dataDir, campaignsDir };
}

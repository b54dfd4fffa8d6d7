import fs from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import { campaignCheck } from '../compose';
import { ConfigError, loadConfig } from '../config';
import { PgCampaignCatalog } from './pg-catalog';
import { isCampaignFile } from './registry';

/**
 * `npm run campaigns:import -- [folder]`: puts the campaign files of a folder (default
 * CAMPAIGNS_DIR) into the PostgreSQL catalog of DATABASE_URL, as the admin API would:
 * validated against this environment, new ids created, changed ones updated, the rest
 * left alone. Every instance serves the result from its next call on. Exit code 1 when
 * any file was refused (each is named with why).
 */
async function main(): Promise<number> {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL: must be set: the campaigns are imported into that PostgreSQL');
  const dir = path.resolve(process.argv[2] ?? config.campaignsDir);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 2 });
  let refused = 0;
  try {
    const catalog = await PgCampaignCatalog.open({ pool, check: campaignCheck(config), log: pino({ level: 'warn' }) });
    for (const file of fs.readdirSync(dir).filter(isCampaignFile).sort()) {
      let document: unknown;
      try {
        document = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      } catch (err) {
        refused++;
        process.stdout.write(`${file}: refused: not valid JSON (${(err as Error).message})\n`);
        continue;
      }
      const id = (document as { id?: unknown } | null)?.id;
      const existing = typeof id === 'string' ? catalog.entry(id) : undefined;
      if (existing && JSON.stringify(existing.document) === JSON.stringify(document)) {
        process.stdout.write(`${file}: ${id} unchanged\n`);
        continue;
      }
      const result = existing ? await catalog.update(existing.id, document) : await catalog.create(document);
      if (result.kind === 'saved') {
        process.stdout.write(`${file}: ${result.entry.id} ${existing ? 'updated' : 'created'} (version ${result.entry.version})\n`);
        continue;
      }
      refused++;
      const why =
        result.kind === 'invalid' ? result.fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; ') : result.kind === 'conflict' ? result.message : 'not found';
      process.stdout.write(`${file}: refused: ${why}\n`);
    }
  } finally {
    await pool.end();
  }
  return refused ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`campaigns:import: ${err.message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);

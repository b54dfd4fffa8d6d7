import { Gauge, type Registry } from 'prom-client';
import type { CampaignCatalog } from '../campaigns/catalog';

/**
 * Invalid campaign files, read from the catalog when Prometheus scrapes: `served="last-good"`
 * for files whose last good version serves, `served="none"` for files not in service at all
 * (their numbers get the not-available answer). Alert on any: a file stays invalid until
 * someone fixes it.
 */
export function registerCampaignGauges(registry: Registry, catalog: Pick<CampaignCatalog, 'entries' | 'fileProblems'>): void {
  new Gauge({
    name: 'ivr_deflect_campaign_files_invalid',
    help: 'Campaign files that fail validation, by what serves instead (last-good: their last good version; none: nothing)',
    labelNames: ['served'],
    registers: [registry],
    collect() {
      this.set({ served: 'last-good' }, catalog.entries().filter((e) => e.status === 'last-good').length);
      this.set({ served: 'none' }, catalog.fileProblems().length);
    },
  });
}

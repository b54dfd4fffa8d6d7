import type { CountryCode } from 'libphonenumber-js';
import { normaliseDnis, normaliseNumber, extractDialString } from '../phone';
import type { Campaign } from './schema';

/** The campaigns port: what the call flow needs to know about campaigns. */
export interface Campaigns {
  /**
   * Brings the campaigns up to date where other instances may have changed them (the
   * PostgreSQL catalog; the app calls it before each request); absent where this process
   * sees every change.
   */
  sync?(): Promise<void>;
  resolve(rawDnis: string): CampaignLookup;
  get(id: string): Campaign | undefined;
  all(): readonly Campaign[];
}

export type CampaignLookup =
  | { kind: 'found'; campaign: Campaign }
  | { kind: 'inactive'; campaign: Campaign }
  | { kind: 'unknown' };

export class CampaignError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid campaigns:\n  ${problems.join('\n  ')}`);
  }
}

/** Campaign files are *.json in the campaigns folder; the published JSON Schema is not one. */
export function isCampaignFile(name: string): boolean {
  return name.endsWith('.json') && !name.endsWith('.schema.json');
}

/**
 * Campaigns held in memory and indexed by DNIS. A DNIS may belong to several campaigns
 * as long as at most one of them is active.
 */
export class CampaignRegistry implements Campaigns {
  private readonly byId = new Map<string, Campaign>();
  private readonly byDnis = new Map<string, Campaign[]>();
  private readonly countries: CountryCode[];

  constructor(private readonly campaigns: readonly Campaign[]) {
    const problems: string[] = [];
    for (const c of campaigns) {
      if (this.byId.has(c.id)) problems.push(`${c.id}: id is used by more than one campaign`);
      this.byId.set(c.id, c);
      for (const raw of c.dnis) {
        const key = normaliseNumber(raw, c.country as CountryCode);
        if (!key) {
          problems.push(`${c.id}: dnis "${raw}" has no digits`);
          continue;
        }
        const list = this.byDnis.get(key) ?? [];
        if (!list.includes(c)) list.push(c);
        this.byDnis.set(key, list);
      }
    }
    for (const [key, list] of this.byDnis) {
      const active = list.filter((c) => c.active);
      if (active.length > 1) {
        problems.push(`dnis ${key} belongs to more than one active campaign: ${active.map((c) => c.id).join(', ')}`);
      }
    }
    if (problems.length) throw new CampaignError(problems);
    this.countries = [...new Set(campaigns.map((c) => c.country as CountryCode))];
  }

  resolve(rawDnis: string): CampaignLookup {
    const dial = extractDialString(rawDnis);
    if (!dial) return { kind: 'unknown' };
    // A number without a country code reads differently per country: try each one
    // our campaigns use, then the bare digits (internal numbers, short codes).
    const keys = dial.startsWith('+')
      ? [normaliseDnis(dial, 'US'), dial.slice(1)]
      : [...this.countries.map((country) => normaliseDnis(dial, country)), dial];
    for (const key of keys) {
      const list = this.byDnis.get(key);
      if (!list) continue;
      const active = list.find((c) => c.active);
      return active ? { kind: 'found', campaign: active } : { kind: 'inactive', campaign: list[0] as Campaign };
    }
    return { kind: 'unknown' };
  }

  get(id: string): Campaign | undefined {
    return this.byId.get(id);
  }

  all(): readonly Campaign[] {
    return this.campaigns;
  }
}

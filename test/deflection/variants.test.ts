import { CampaignSchema, type CampaignInput } from '../../src/campaigns/schema';
import { offerPromptOf, pickVariant, wordingVersion } from '../../src/deflection/variants';
import { campaign } from '../helpers/server';

const parse = (input: Partial<CampaignInput>) => CampaignSchema.parse(campaign(input));

describe('pickVariant', () => {
  it('draws variants in proportion to their weights (20,000 draws, within 1.5 points)', () => {
    const c = parse({
      variants: [
        { id: 'a', weight: 70 },
        { id: 'b', weight: 20 },
        { id: 'c', weight: 10 },
        { id: 'paused', weight: 0 },
      ],
    });
    const counts: Record<string, number> = {};
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const id = pickVariant(c, Math.random)?.id ?? 'none';
      counts[id] = (counts[id] ?? 0) + 1;
    }
    // Binomial standard deviation at p = 0.7 and n = 20,000 is 0.32 points: 1.5 is over 4.5 sigma.
    expect(Math.abs((counts.a ?? 0) / draws - 0.7)).toBeLessThan(0.015);
    expect(Math.abs((counts.b ?? 0) / draws - 0.2)).toBeLessThan(0.015);
    expect(Math.abs((counts.c ?? 0) / draws - 0.1)).toBeLessThan(0.015);
    expect(counts.paused).toBeUndefined();
    expect(counts.none).toBeUndefined();
  });

  it('maps the whole range of random() onto the variants, ends included', () => {
    const c = parse({ variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }] });
    expect(pickVariant(c, () => 0)?.id).toBe('a');
    expect(pickVariant(c, () => 0.2499)?.id).toBe('a');
    expect(pickVariant(c, () => 0.25)?.id).toBe('b');
    expect(pickVariant(c, () => 0.999999999)?.id).toBe('b');
  });

  it('is undefined for a campaign without variants, which then uses its own offer', () => {
    const c = parse({});
    expect(pickVariant(c, Math.random)).toBeUndefined();
    expect(offerPromptOf(c, undefined)).toBe(
      'To get a text message with a link to chat with us now, press 1. To stay on the line, press 2.',
    );
  });
});

describe('wordingVersion', () => {
  it('is the same for the same wording and differs when one character changes', () => {
    expect(wordingVersion('Press 1.')).toBe(wordingVersion('Press 1.'));
    expect(wordingVersion('Press 1.')).not.toBe(wordingVersion('Press 1!'));
    expect(wordingVersion('Press 1.')).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('campaign variants, limits and rules: validation names the field', () => {
  const issues = (input: Partial<CampaignInput>) => {
    const result = CampaignSchema.safeParse(campaign(input));
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it.each<[string, Partial<CampaignInput>, string]>([
    ['a variant id used twice', { variants: [{ id: 'a', weight: 1 }, { id: 'a', weight: 2 }] }, 'variants.1.id: "a" is used twice'],
    ['only paused variants', { variants: [{ id: 'a', weight: 0 }] }, 'variants: at least one variant needs a weight above 0'],
    ['a variant message without {link}', { variants: [{ id: 'a', weight: 1, message: 'Chat with us' }] }, 'variants.0.message: must contain {link}'],
    ['a variant offer with a placeholder', { variants: [{ id: 'a', weight: 1, offer: 'Press {key}' }] }, 'variants.0.offer: unknown placeholder {key}'],
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, 'timeZone: must be an IANA time zone such as America/New_York'],
    ['a limit of zero texts', { limits: { perDestination: [{ max: 0, withinMinutes: 10 }] } }, 'limits.perDestination.0.max: Too small: expected number to be >=1'],
    ['an unknown allowed country', { allowedCountries: ['US', 'XX'] }, 'allowedCountries.1: must be an ISO 3166-1 alpha-2 country code such as US'],
    ['a liveperson credential written into the campaign', { availability: { kind: 'liveperson', accountId: '123', auth: { type: 'app-jwt', clientSecret: 'kgvbkk7glku72jgtmpi6l4a872' } } } as Partial<CampaignInput>, 'availability.auth.clientSecret: must name a secret as {secret:NAME} (its value comes from CAMPAIGN_SECRET_NAME); a credential written here is refused'],
  ])('refuses %s', (_what, input, message) => {
    expect(issues(input)).toContain(message);
  });

  it('defaults: static availability, 1 text per 10 minutes and 3 a day per number, 3 a day per caller, 60 an hour and 600 a day per campaign, no expiry', () => {
    const c = parse({});
    expect(c.availability).toEqual({ kind: 'static' });
    expect(c.limits).toEqual({
      perDestination: [
        { max: 1, withinMinutes: 10 },
        { max: 3, withinMinutes: 1440 },
      ],
      perCaller: [{ max: 3, withinMinutes: 1440 }],
      hourlyCap: 60,
      dailyCap: 600,
    });
    expect(c.linkTtlMinutes).toBeUndefined();
    expect(c.allowedCountries).toBeUndefined();
    expect(c.variants).toEqual([]);
  });
});

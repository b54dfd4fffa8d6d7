import { CampaignSchema } from '../../src/campaigns/schema';
import { keepContext } from '../../src/deflection/ivr-context';
import { campaign } from '../helpers/server';

/** The campaign's context setting, checked when campaigns load, and what it keeps of a call's ctx.* values. */
describe('the context setting, at load', () => {
  const issues = (context: unknown) => {
    const parsed = CampaignSchema.safeParse(campaign({ context } as never));
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts an allow-list, with maxLength defaulting to 64', () => {
    const parsed = CampaignSchema.parse(campaign({ context: { allow: ['intent', 'account'] } } as never));
    expect(parsed.context).toEqual({ allow: ['intent', 'account'], maxLength: 64 });
  });

  it('refuses names that could not come from ctx.<name>, repeats, an empty list, unknown fields and a bad maxLength', () => {
    expect(issues({ allow: ['in tent'] })[0]).toMatch(/^context\.allow\.0: must be a letter/);
    expect(issues({ allow: ['__proto__'] })[0]).toMatch(/^context\.allow\.0/);
    expect(issues({ allow: ['intent', 'intent'] })[0]).toMatch(/^context\.allow: names must not repeat/);
    expect(issues({ allow: [] })[0]).toMatch(/^context\.allow/);
    expect(issues({ allow: ['intent'], extra: true })[0]).toMatch(/^context/);
    expect(issues({ allow: ['intent'], maxLength: 0 })[0]).toMatch(/^context\.maxLength/);
    expect(issues({ allow: ['intent'], maxLength: 257 })[0]).toMatch(/^context\.maxLength/);
  });

  it('accepts {contextToken} in the link', () => {
    expect(CampaignSchema.safeParse(campaign({ link: 'https://chat.example.com/?t={contextToken}' })).success).toBe(true);
  });
});

describe('keepContext', () => {
  const settings = { allow: ['intent', 'account'], maxLength: 8 };

  it('keeps allowed values whole and counts the rest', () => {
    expect(keepContext({ intent: 'billing', account: 'AC123', other: 'x' }, settings)).toEqual({
      values: { intent: 'billing', account: 'AC123' },
      dropped: 1,
    });
  });

  it('drops, never cuts, a value longer than maxLength (counting characters, not UTF-16 units)', () => {
    expect(keepContext({ intent: 'billing-x' }, settings)).toEqual({ values: null, dropped: 1 });
    expect(keepContext({ intent: '📞📞📞📞📞📞📞📞' }, settings)).toEqual({ values: { intent: '📞📞📞📞📞📞📞📞' }, dropped: 0 });
  });

  it('drops a value with a control character, a line separator or a replacement character', () => {
    for (const bad of ['a\u0000b', 'a\nb', 'a\u001bb', 'a\u0085b', 'a\u2028b', 'a\ufffdb']) {
      expect(keepContext({ intent: bad }, settings)).toEqual({ values: null, dropped: 1 });
    }
  });

  it('keeps nothing without a campaign setting, counting what was sent', () => {
    expect(keepContext({ intent: 'billing', account: '' }, undefined)).toEqual({ values: null, dropped: 1 });
  });
});

import { redact, resolveHeaders, resolveSecrets, secretNamesIn } from '../../src/availability/secrets';

describe('secrets', () => {
  it('replaces every {secret:NAME} with its value', () => {
    expect(resolveSecrets('Bearer {secret:TOKEN}', { TOKEN: 'abc' })).toBe('Bearer abc');
    expect(resolveSecrets('{secret:USER}:{secret:PASS}/{secret:USER}', { USER: 'u', PASS: 'p' })).toBe('u:p/u');
  });

  it('leaves values without secret references alone', () => {
    expect(resolveSecrets('acme {secret:} {secrets:X} {SECRET:X}', {})).toBe('acme {secret:} {secrets:X} {SECRET:X}');
  });

  it('refuses an unset secret, naming it and no other value', () => {
    const resolve = (): string => resolveSecrets('{secret:SET} {secret:UNSET}', { SET: 'hunter2' });
    expect(resolve).toThrow('secret UNSET is not set (CAMPAIGN_SECRET_UNSET)');
    expect(resolve).not.toThrow(/hunter2/);
  });

  it('does not treat inherited object names as secrets', () => {
    expect(() => resolveSecrets('{secret:constructor}', {})).toThrow(/constructor is not set/);
  });

  it('lists the secrets a value names, once each, so start-up can check them', () => {
    expect(secretNamesIn('{secret:A} and {secret:B_2} and {secret:A}')).toEqual(['A', 'B_2']);
    expect(secretNamesIn('no secrets here')).toEqual([]);
  });

  it('resolves the secrets headers name', () => {
    expect(resolveHeaders({ Authorization: 'Bearer {secret:T}', 'X-Brand': 'acme' }, { T: 'tok', OTHER: 'unused' })).toEqual({
      Authorization: 'Bearer tok',
      'X-Brand': 'acme',
    });
  });

  it('redacts those values from text', () => {
    expect(redact('bad key k3y-9 (k3y-9)', ['k3y-9'])).toBe('bad key [secret] ([secret])');
  });
});

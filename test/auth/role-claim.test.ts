import { claimValues, roleFromClaim, type RoleMapping } from '../../src/console/oidc/role-claim';

/** A provider's role or group claim, as the console turns it into a role. */

const mapping = (over: Partial<RoleMapping> = {}): RoleMapping => ({
  claim: 'roles',
  values: { admin: ['ivr-admins'], editor: ['ivr-editors'], viewer: ['ivr-viewers', 'Support Staff'] },
  defaultRole: undefined,
  ...over,
});

describe('the role claim', () => {
  it('reads a list of strings, or one string, and nothing from a claim that is absent', () => {
    expect(claimValues({ roles: ['a', 'b'] }, 'roles')).toEqual(['a', 'b']);
    expect(claimValues({ roles: 'a' }, 'roles')).toEqual(['a']);
    expect(claimValues({ groups: ['a'] }, 'roles')).toBeUndefined();
    // Values that are not strings are not roles.
    expect(claimValues({ roles: ['a', 7, { admin: true }, null] }, 'roles')).toEqual(['a']);
  });

  it('reads a nested claim by a dotted path (Keycloak\'s realm_access.roles), and a namespaced name with dots whole', () => {
    expect(claimValues({ realm_access: { roles: ['ivr-admins'] } }, 'realm_access.roles')).toEqual(['ivr-admins']);
    expect(claimValues({ 'https://example.com/roles': ['x'] }, 'https://example.com/roles')).toEqual(['x']);
  });

  it('gives the highest role any value maps to', () => {
    expect(roleFromClaim(['ivr-viewers', 'ivr-admins', 'other'], mapping())).toBe('admin');
    expect(roleFromClaim(['ivr-viewers', 'ivr-editors'], mapping())).toBe('editor');
    expect(roleFromClaim(['Support Staff'], mapping())).toBe('viewer');
  });

  it('compares values exactly: another case is another group', () => {
    expect(roleFromClaim(['IVR-ADMINS'], mapping())).toBeUndefined();
  });

  it('gives no role when nothing matches, unless a default role is set', () => {
    expect(roleFromClaim(['staff'], mapping())).toBeUndefined();
    expect(roleFromClaim(undefined, mapping())).toBeUndefined();
    expect(roleFromClaim(['staff'], mapping({ defaultRole: 'viewer' }))).toBe('viewer');
    // The default is a floor for no match, never a cap on a match.
    expect(roleFromClaim(['ivr-admins'], mapping({ defaultRole: 'viewer' }))).toBe('admin');
  });
});

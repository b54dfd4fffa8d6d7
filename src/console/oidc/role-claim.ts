import { highestRole, type Role } from '../../auth/roles';

/**
 * The console role of a single sign-on user, from a claim of the provider's (README "Roles":
 * OIDC_ROLE_CLAIM and OIDC_*_VALUES). The claim is a string or a list of strings (Entra ID's
 * `roles`, Okta's and Keycloak's `groups`); each value the settings map to a role counts, and
 * the highest wins. Values are compared exactly: providers' group names are case-sensitive.
 */
export interface RoleMapping {
  /** The claim's name: a top-level claim, else a dotted path into nested objects (`realm_access.roles`). */
  claim: string;
  /** The provider's values that make each role. */
  values: Readonly<Record<Role, readonly string[]>>;
  /** The role when no value matches; undefined: the sign-in is refused. */
  defaultRole: Role | undefined;
}

/** The claim's values as strings; undefined when the claims do not have it. */
export function claimValues(claims: Record<string, unknown>, name: string): string[] | undefined {
  // A top-level name first: namespaced claims (Auth0's https://example.com/roles) hold dots.
  let value: unknown = claims[name];
  if (value === undefined && name.includes('.')) {
    value = name.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), claims);
  }
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

/** The role the values give, else the default; undefined: no role (refuse the sign-in). */
export function roleFromClaim(values: readonly string[] | undefined, mapping: RoleMapping): Role | undefined {
  const held = new Set(values ?? []);
  const matched = (Object.keys(mapping.values) as Role[]).filter((role) => mapping.values[role].some((v) => held.has(v)));
  return highestRole(matched) ?? mapping.defaultRole;
}

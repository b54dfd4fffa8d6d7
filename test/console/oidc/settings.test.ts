import { Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/log';

/** The OIDC_ settings: parsed once at start-up, one line naming the variable when wrong. */

const BASE = {
  PUBLIC_BASE_URL: 'https://console.example.com',
  OIDC_ISSUER: 'https://login.example.com/realms/ops',
  OIDC_CLIENT_ID: 'ivr-console',
  OIDC_CLIENT_SECRET: 'a-client-secret-of-some-length',
  OIDC_ALLOWED_DOMAINS: 'example.com, Example.org',
  OIDC_ADMIN_VALUES: 'ivr-admins',
};

const problem = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the configuration was accepted');
};

describe('OIDC settings', () => {
  it('has no single sign-on without OIDC_ISSUER', () => {
    expect(loadConfig({}).console.oidc).toBeUndefined();
  });

  it('reads the settings, with the callback derived from PUBLIC_BASE_URL and the documented defaults', () => {
    expect(loadConfig(BASE).console.oidc).toEqual({
      issuer: 'https://login.example.com/realms/ops',
      clientId: 'ivr-console',
      clientSecret: 'a-client-secret-of-some-length',
      scopes: 'openid email profile',
      redirectUrl: 'https://console.example.com/admin/oidc/callback',
      allowedDomains: ['example.com', 'example.org'],
      allowedSubjects: [],
      allowAnyAccount: false,
      label: 'single sign-on',
      roles: { claim: 'roles', values: { admin: ['ivr-admins'], editor: [], viewer: [] }, defaultRole: undefined },
    });
  });

  it('reads the role claim\'s name, each role\'s values (comma lists, spaces kept inside a value) and the default role', () => {
    const oidc = loadConfig({
      ...BASE,
      OIDC_ROLE_CLAIM: 'groups',
      OIDC_ADMIN_VALUES: 'IVR Admins, ops-leads',
      OIDC_EDITOR_VALUES: 'IVR Editors',
      OIDC_VIEWER_VALUES: 'Everyone',
      OIDC_DEFAULT_ROLE: 'viewer',
    }).console.oidc;
    expect(oidc?.roles).toEqual({
      claim: 'groups',
      values: { admin: ['IVR Admins', 'ops-leads'], editor: ['IVR Editors'], viewer: ['Everyone'] },
      defaultRole: 'viewer',
    });
  });

  it('stops start-up when single sign-on users could get no role at all, or the default role is not a role', () => {
    expect(problem({ ...BASE, OIDC_ADMIN_VALUES: '' })).toMatch(/^Invalid configuration: OIDC_ADMIN_VALUES: set it, OIDC_EDITOR_VALUES or OIDC_VIEWER_VALUES/);
    expect(loadConfig({ ...BASE, OIDC_ADMIN_VALUES: '', OIDC_DEFAULT_ROLE: 'viewer' }).console.oidc?.roles.defaultRole).toBe('viewer');
    expect(problem({ ...BASE, OIDC_DEFAULT_ROLE: 'superuser' })).toContain('OIDC_DEFAULT_ROLE: must be one of viewer, editor, admin');
    expect(problem({ ...BASE, OIDC_ROLE_CLAIM: 'my roles' })).toContain('OIDC_ROLE_CLAIM: must be a claim name');
  });

  it('accepts http only for an issuer on this machine', () => {
    expect(problem({ ...BASE, OIDC_ISSUER: 'http://login.example.com' })).toMatch(/^Invalid configuration: OIDC_ISSUER: must be an https URL/);
    expect(loadConfig({ ...BASE, OIDC_ISSUER: 'http://127.0.0.1:8080/realms/ops' }).console.oidc?.issuer).toBe('http://127.0.0.1:8080/realms/ops');
  });

  it('stops start-up when the client is incomplete or nobody is said to be allowed', () => {
    expect(problem({ ...BASE, OIDC_CLIENT_SECRET: '' })).toContain('OIDC_CLIENT_SECRET: must be set when OIDC_ISSUER is');
    expect(problem({ ...BASE, OIDC_CLIENT_ID: '' })).toContain('OIDC_CLIENT_ID: must be set');
    expect(problem({ ...BASE, OIDC_ALLOWED_DOMAINS: '' })).toContain('OIDC_ALLOWED_DOMAINS: set it or OIDC_ALLOWED_SUBJECTS');
    expect(problem({ ...BASE, OIDC_SCOPES: 'email profile' })).toContain('OIDC_SCOPES: must include openid');
    expect(problem({ ...BASE, OIDC_ALLOWED_DOMAINS: 'not a domain' })).toContain('OIDC_ALLOWED_DOMAINS:');
    expect(problem({ OIDC_CLIENT_ID: 'x' })).toContain('OIDC_ISSUER: must be set when OIDC_CLIENT_ID is');
  });

  it('lets anyone the provider signs in only when OIDC_ALLOW_ANY_ACCOUNT=true says so', () => {
    const oidc = loadConfig({ ...BASE, OIDC_ALLOWED_DOMAINS: '', OIDC_ALLOW_ANY_ACCOUNT: 'true' }).console.oidc;
    expect(oidc?.allowAnyAccount).toBe(true);
    expect(loadConfig({ ...BASE, OIDC_ALLOWED_DOMAINS: '', OIDC_ALLOWED_SUBJECTS: 'a1, b2' }).console.oidc?.allowedSubjects).toEqual(['a1', 'b2']);
  });

  it('never writes the client secret to the log, even when the whole configuration is logged', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const config = loadConfig(BASE);
    log.info({ config }, 'configuration');
    log.info({ console: config.console }, 'console');
    expect(lines.join('')).toContain('ivr-console');
    expect(lines.join('')).not.toContain('a-client-secret-of-some-length');
  });
});

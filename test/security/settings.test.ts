import { ConfigError, loadConfig } from '../../src/config';

/**
 * The security variables an operator sets: safe defaults, the forms each one takes, and a
 * start-up refusal naming the variable (never echoing a secret) when a value is wrong.
 */

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('defaults', () => {
  const { security, console } = loadConfig({});

  it('trusts no proxy, lets any address fetch the IVR documents and asks for no secret', () => {
    expect(security.trustProxy).toBe(false);
    expect(security.ivrAccess).toMatchObject({ allowedCidrs: [], sharedSecret: undefined, secretParam: 'key', openOnPurpose: false });
  });

  it('lets one address start 60 calls and send 10 texts a minute, the platform\'s networks 6000 and 3000', () => {
    expect(security.ivrAccess.rateLimits).toEqual({ start: { platform: 6000, other: 60 }, send: { platform: 3000, other: 10 } });
  });

  it('allows 120 short-link requests a minute per client and 10 failed sign-ins per 15 minutes', () => {
    expect(security.shortLinkRateLimit).toBe(120);
    expect(console.maxFailedSignIns).toBe(10);
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 2001:db8::/32 ,loopback', ['10.0.0.0/8', '2001:db8::/32', 'loopback']],
    ['192.0.2.1', ['192.0.2.1']],
  ])('%j is %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).security.trustProxy).toEqual(expected);
  });

  it.each(['true', 'everyone', '10.0.0.0/33', '300.1.1.1', '1.5'])('refuses %j', (value) => {
    expect(refusal({ TRUST_PROXY: value })).toMatch(/^Invalid configuration: TRUST_PROXY: must be false, a number of proxies/);
  });
});

describe('IVR_ALLOWED_CIDRS', () => {
  it('reads networks and single addresses of both families', () => {
    expect(loadConfig({ IVR_ALLOWED_CIDRS: '192.0.2.0/24, 2001:db8::/32,198.51.100.7,::1' }).security.ivrAccess.allowedCidrs).toEqual([
      { address: '192.0.2.0', prefix: 24, family: 'ipv4' },
      { address: '2001:db8::', prefix: 32, family: 'ipv6' },
      { address: '198.51.100.7', prefix: 32, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
    ]);
  });

  it.each(['192.0.2.0/24;10.0.0.0/8', 'ivr.example.com', '192.0.2.0/', '2001:db8::/129', '192.0.2.0/24/8'])('refuses %j', (value) => {
    expect(refusal({ IVR_ALLOWED_CIDRS: value })).toMatch(/^Invalid configuration: IVR_ALLOWED_CIDRS: must be a comma-separated list/);
  });
});

describe('IVR_SHARED_SECRET and IVR_SECRET_PARAM', () => {
  it('takes a URL-safe secret of 16 characters or more, and another parameter name', () => {
    const { ivrAccess } = loadConfig({ IVR_SHARED_SECRET: 'abc.DEF_123~xyz-9', IVR_SECRET_PARAM: 'ivrKey' }).security;
    expect(ivrAccess).toMatchObject({ sharedSecret: 'abc.DEF_123~xyz-9', secretParam: 'ivrKey' });
  });

  it.each(['too-short', 'has spaces in it somewhere', 'needs&encoding=in-a-url'])('refuses the secret %j without echoing it', (secret) => {
    const message = refusal({ IVR_SHARED_SECRET: secret });
    expect(message).toMatch(/^Invalid configuration: IVR_SHARED_SECRET: must be 16 to 256 letters, digits or \. _ ~ -$/);
    expect(message).not.toContain(secret);
  });

  it.each(['dnis', 'ANI', 'call', 'mode'])('refuses %j as the parameter: the IVR documents read it', (name) => {
    expect(refusal({ IVR_SECRET_PARAM: name })).toMatch(/^Invalid configuration: IVR_SECRET_PARAM: must not be one of the IVR's parameters/);
  });

  it('refuses a parameter name that is not one', () => {
    expect(refusal({ IVR_SECRET_PARAM: 'my key' })).toMatch(/^Invalid configuration: IVR_SECRET_PARAM: must be a parameter name/);
  });
});

describe('rate limits', () => {
  it('reads SHORT_LINK_RATE_LIMIT (0 switches it off) and SIGN_IN_MAX_FAILURES', () => {
    expect(loadConfig({ SHORT_LINK_RATE_LIMIT: '0' }).security.shortLinkRateLimit).toBe(0);
    expect(loadConfig({ SHORT_LINK_RATE_LIMIT: '600' }).security.shortLinkRateLimit).toBe(600);
    expect(loadConfig({ SIGN_IN_MAX_FAILURES: '3' }).console.maxFailedSignIns).toBe(3);
  });

  it.each([
    ['SHORT_LINK_RATE_LIMIT', '-1'],
    ['SHORT_LINK_RATE_LIMIT', 'lots'],
    ['SHORT_LINK_RATE_LIMIT', '100001'],
    ['SIGN_IN_MAX_FAILURES', '0'],
    ['SIGN_IN_MAX_FAILURES', '1001'],
  ])('refuses %s=%j', (name, value) => {
    expect(refusal({ [name]: value })).toMatch(new RegExp(`^Invalid configuration: ${name}: must be a whole number`));
  });
});

describe('the IVR door (HOST, IVR_ALLOWED_CIDRS, IVR_SHARED_SECRET, IVR_OPEN)', () => {
  it.each(['127.0.0.1', '127.0.0.53', 'localhost', '::1', '[::1]'])('starts on loopback %j with no lock', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it.each(['0.0.0.0', '::', '192.0.2.10', 'ivr.example.com'])('refuses %j with no lock, saying what to set', (host) => {
    const message = refusal({ HOST: host });
    expect(message).toContain(`HOST: ${host}`);
    for (const setting of ['IVR_ALLOWED_CIDRS', 'IVR_SHARED_SECRET', 'IVR_OPEN=true', 'HOST=127.0.0.1']) expect(message).toContain(setting);
    expect(message.split('\n')).toHaveLength(1);
  });

  it.each([
    { IVR_ALLOWED_CIDRS: '192.0.2.0/24' },
    { IVR_SHARED_SECRET: 'ivr-shared-secret-0123' },
    { IVR_OPEN: 'true' },
  ])('starts on 0.0.0.0 with %j', (lock) => {
    expect(loadConfig({ HOST: '0.0.0.0', ...lock }).host).toBe('0.0.0.0');
  });

  it('refuses an IVR_OPEN that is not true or false', () => {
    expect(refusal({ IVR_OPEN: 'yes' })).toContain('IVR_OPEN: must be true or false');
  });
});

describe('connection limits', () => {
  it('defaults to 20 s for headers, 30 s per request, 30 s idle and 900 connections', () => {
    expect(loadConfig({}).connections).toEqual({ headersTimeoutMs: 20_000, requestTimeoutMs: 30_000, idleTimeoutMs: 30_000, maxConnections: 900 });
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(refusal({ HTTP_HEADERS_TIMEOUT_MS: '40000' })).toContain('HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS');
  });
});

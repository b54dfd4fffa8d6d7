import path from 'node:path';
import fs from 'node:fs';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../src/config';

/**
 * loadConfig is what an operator meets first: defaults that let `npm start` work out of
 * the box, and a one-line error naming the variable when a value is wrong.
 */

const CWD = path.resolve('/srv/ivr-deflect');

/** The error loadConfig throws for env; fails the test when it does not throw a ConfigError. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  const config = loadConfig({}, CWD);

  it('listens on port 3000 on loopback only', () => {
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
  });

  it('resolves the data and campaigns folders under the given working directory', () => {
    expect(config.dataDir).toBe(path.join(CWD, 'data'));
    expect(config.campaignsDir).toBe(path.join(CWD, 'campaigns'));
  });

  it('uses the sandbox SMS gateway, failing no numbers', () => {
    expect(config.smsGateway).toBe('sandbox');
    expect(config.sandboxFailNumbers).toEqual([]);
  });

  it('hands out links on http://localhost:PORT', () => {
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '8080' }, CWD).publicBaseUrl).toBe('http://localhost:8080');
  });

  it('switches the admin API off, keeps calls for an hour and logs at info', () => {
    expect(config.adminToken).toBeUndefined();
    expect(config.callTtlMs).toBe(60 * 60_000);
    expect(config.logLevel).toBe('info');
  });

  it('lets campaign URLs reach no internal host', () => {
    expect(config.outbound).toEqual({ allowedHosts: [] });
  });

  it('ignores variables it does not know (the rest of the environment)', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', NODE_ENV: 'production' }, CWD)).toEqual(config);
  });
});

describe('loadConfig with values set', () => {
  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '8443',
        HOST: '127.0.0.1',
        DATABASE_POOL_SIZE: '20',
        RETENTION_CALLS_DAYS: '200',
        RETENTION_MESSAGES_DAYS: '100',
        RETENTION_CONSENT_DAYS: '2000',
        RETENTION_SHORT_LINKS_DAYS: '0',
        RETENTION_AUDIT_DAYS: '3000',
        RETENTION_HOUR: '22',
        ERASURE_KEY: 'erasure-key-0123456789abcdefghijklmnop',
        PUBLIC_BASE_URL: 'https://ivr.example.com/deflect',
        DATA_DIR: '/var/lib/ivr',
        CAMPAIGNS_DIR: 'conf/campaigns',
        ADMIN_TOKEN: '0123456789abcdef',
        ADMIN_USER: 'ops',
        ADMIN_PASSWORD_HASH: `scrypt$16384$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`,
        SESSION_HOURS: '12',
        SIGN_IN_MAX_FAILURES: '5',
        TRUST_PROXY: '10.0.0.0/8, loopback',
        IVR_ALLOWED_CIDRS: '192.0.2.0/24,2001:db8::/32, 198.51.100.7',
        IVR_SHARED_SECRET: 'ivr-shared-secret-0123',
        IVR_SECRET_PARAM: 'token',
        SHORT_LINK_RATE_LIMIT: '0',
        OUTBOUND_ALLOWED_HOSTS: 'Staffing.Internal.example, 127.0.0.1, [::1]',
        IVR_OPEN: 'false',
        IVR_START_RATE_LIMIT: '30',
        IVR_SEND_RATE_LIMIT: '5',
        IVR_PLATFORM_START_RATE_LIMIT: '1200',
        IVR_PLATFORM_SEND_RATE_LIMIT: '600',
        HTTP_HEADERS_TIMEOUT_MS: '5000',
        HTTP_REQUEST_TIMEOUT_MS: '15000',
        HTTP_IDLE_TIMEOUT_MS: '20000',
        HTTP_MAX_CONNECTIONS: '400',
        SMS_GATEWAY: 'sandbox',
        SANDBOX_FAIL_NUMBERS: '+16175550100',
        SANDBOX_NOT_ON_CHANNEL_NUMBERS: '+16175550101',
        CALL_TTL_MINUTES: '15',
        LINE_TYPE_LOOKUP: 'twilio',
        LOOKUP_TWILIO_ACCOUNT_SID: 'AC0123',
        LOOKUP_TWILIO_AUTH_TOKEN: 'lookup-token',
        LOOKUP_TWILIO_BASE_URL: 'http://127.0.0.1:4010/',
        LOOKUP_TIMEOUT_MS: '800',
        LOOKUP_CACHE_HOURS: '24',
        CAMPAIGN_SECRET_ACME_TOKEN: 's3cret',
        LOG_LEVEL: 'debug',
        METRICS_TOKEN: 'metrics-token-0123456789',
        CONTEXT_TOKEN_SECRET: 'context-token-secret-0123456789abcdef',
        CONTEXT_TOKEN_TTL_MINUTES: '90',
        CONTEXT_API_TOKEN: 'context-api-token-0123456789',
        CONVERSATION_WEBHOOK_SECRET: 'conversation-webhook-secret-0123456789,previous-conversation-secret-0123456789',
        LIVEPERSON_WEBHOOK_SECRET: 'lp-client-secret-0123',
        CONVERSATION_TOKEN_GRACE_DAYS: '3',
        SHUTDOWN_DRAIN_MS: '1500',
        SHUTDOWN_GRACE_MS: '2500',
        SMS_SERVICE_HOURLY_BUDGET: '1000',
        PUMPING_WINDOW_MINUTES: '15',
        PUMPING_RANGE_DIGITS: '3',
        PUMPING_MAX_PER_RANGE: '20',
        PUMPING_MAX_PER_FOREIGN_COUNTRY: '7',
        LOOKUP_MAX_PER_CALL: '2',
        LOOKUP_HOURLY_BUDGET: '50',
        AVAILABILITY_CHECKS_PER_MINUTE: '90',
        HOLD_AUDIO_ENCODING: 'alaw',
      },
      CWD,
    );
    expect(config).toEqual({
      port: 8443,
      host: '127.0.0.1',
      publicBaseUrl: 'https://ivr.example.com/deflect',
      dataDir: path.resolve('/var/lib/ivr'),
      databasePoolSize: 20,
      campaignsDir: path.join(CWD, 'conf/campaigns'),
      campaignsLastGoodDir: path.join(CWD, 'conf/campaigns/.last-good'),
      adminToken: '0123456789abcdef',
      console: {
        user: 'ops',
        passwordHash: { N: 16384, r: 8, p: 1, salt: Buffer.alloc(16, 1), key: Buffer.alloc(32, 2) },
        sessionMs: 12 * 3_600_000,
        maxFailedSignIns: 5,
        maxFailedSignInsPerAddress: 30,
        maxFailedSignInsTotal: 300,
        concurrentPasswordChecks: 1,
      },
      smsGateway: 'sandbox',
      smsFallbackGateway: undefined,
      gateways: {},
      sandboxFailNumbers: ['+16175550100'],
      sandboxNotOnChannelNumbers: ['+16175550101'],
      outbox: { attemptTimeoutMs: 10_000, maxAttempts: 8, retryBaseMs: 5_000, concurrency: 16, callerWaitMs: 2_500 },
      callTtlMs: 15 * 60_000,
      campaignSecrets: { ACME_TOKEN: 's3cret' },
      lineTypeLookup: {
        provider: 'twilio',
        accountSid: 'AC0123',
        authToken: 'lookup-token',
        baseUrl: 'http://127.0.0.1:4010',
        timeoutMs: 800,
        cacheTtlMs: 24 * 3_600_000,
      },
      logLevel: 'debug',
      shutdownDrainMs: 1500,
      shutdownGraceMs: 2500,
      holdAudioEncoding: 'alaw',
      eventsOut: { endpoints: [], batchSize: 100, maxBodyBytes: 262_144, timeoutMs: 10_000, retryBaseMs: 2_000, retryCapMs: 300_000, pollMs: 5_000 },
      data: {
        retention: { days: { calls: 200, events: 200, messages: 100, consent: 2000, 'short-links': 0, audit: 3000 }, hour: 22 },
        erasureKey: 'erasure-key-0123456789abcdefghijklmnop',
      },
      connections: { headersTimeoutMs: 5000, requestTimeoutMs: 15000, idleTimeoutMs: 20000, maxConnections: 400 },
      abuse: {
        serviceHourlyBudget: 1000,
        pumping: { windowMinutes: 15, rangeDigits: 3, maxPerRange: 20, maxPerForeignCountry: 7 },
        lookupsPerCall: 2,
        lookupsPerHour: 50,
        availabilityChecksPerMinute: 90,
      },
      metricsToken: 'metrics-token-0123456789',
      context: { tokenSecret: 'context-token-secret-0123456789abcdef', tokenTtlSeconds: 5400, apiToken: 'context-api-token-0123456789' },
      conversations: {
        webhookSecrets: ['conversation-webhook-secret-0123456789', 'previous-conversation-secret-0123456789'],
        livePersonSecrets: ['lp-client-secret-0123'],
        tokenGraceSeconds: 3 * 86_400,
      },
      security: {
        trustProxy: ['10.0.0.0/8', 'loopback'],
        ivrAccess: {
          allowedCidrs: [
            { address: '192.0.2.0', prefix: 24, family: 'ipv4' },
            { address: '2001:db8::', prefix: 32, family: 'ipv6' },
            { address: '198.51.100.7', prefix: 32, family: 'ipv4' },
          ],
          sharedSecret: 'ivr-shared-secret-0123',
          secretParam: 'token',
          openOnPurpose: false,
          rateLimits: { start: { platform: 1200, other: 30 }, send: { platform: 600, other: 5 } },
        },
        shortLinkRateLimit: 0,
      },
      outbound: { allowedHosts: ['staffing.internal.example', '127.0.0.1', '::1'] },
    });
  });

  it('uses the Twilio SMS credentials for the line-type lookup unless it has its own, and needs one or the other', () => {
    const twilio = { TWILIO_ACCOUNT_SID: 'AC9', TWILIO_AUTH_TOKEN: 'sms-token', TWILIO_FROM: '+15005550006' };
    expect(loadConfig({ ...twilio, LINE_TYPE_LOOKUP: 'twilio' }, CWD).lineTypeLookup).toEqual({
      provider: 'twilio',
      accountSid: 'AC9',
      authToken: 'sms-token',
      baseUrl: 'https://lookups.twilio.com',
      timeoutMs: 1_500,
      cacheTtlMs: 720 * 3_600_000,
    });
    expect(loadConfig({}, CWD).lineTypeLookup).toBeUndefined();
    expect(() => loadConfig({ LINE_TYPE_LOOKUP: 'twilio' }, CWD)).toThrow(/LOOKUP_TWILIO_ACCOUNT_SID/);
    expect(() => loadConfig({ LINE_TYPE_LOOKUP: 'numverify' }, CWD)).toThrow(/LINE_TYPE_LOOKUP/);
  });

  it('refuses a context token secret shorter than 32 characters, naming the variable and not the value', () => {
    const err = configError({ CONTEXT_TOKEN_SECRET: 'short-secret-value' });
    expect(err.message).toMatch(/CONTEXT_TOKEN_SECRET: must be at least 32 characters/);
    expect(err.message).not.toContain('short-secret-value');
    expect(configError({ CONTEXT_TOKEN_TTL_MINUTES: '0' }).message).toMatch(/CONTEXT_TOKEN_TTL_MINUTES/);
  });

  it('collects CAMPAIGN_SECRET_* variables by name, ignoring blank ones', () => {
    const config = loadConfig({ CAMPAIGN_SECRET_A: 'x', CAMPAIGN_SECRET_LP_TOKEN: 'y', CAMPAIGN_SECRET_EMPTY: '', CAMPAIGN_SECRETS: 'z' }, CWD);
    expect(config.campaignSecrets).toEqual({ A: 'x', LP_TOKEN: 'y' });
  });

  it('strips trailing slashes from PUBLIC_BASE_URL', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://ivr.example.com/' }, CWD).publicBaseUrl).toBe(
      'https://ivr.example.com',
    );
    expect(loadConfig({ PUBLIC_BASE_URL: 'http://ivr.example.com:8080/deflect///' }, CWD).publicBaseUrl).toBe(
      'http://ivr.example.com:8080/deflect',
    );
  });

  it('splits SANDBOX_FAIL_NUMBERS on commas, trimming spaces and empty entries', () => {
    expect(loadConfig({ SANDBOX_FAIL_NUMBERS: ' +16175550100 , +447400123456,' }, CWD).sandboxFailNumbers).toEqual([
      '+16175550100',
      '+447400123456',
    ]);
  });

  it('accepts the bounds of CALL_TTL_MINUTES (1 minute to a day) and of PORT', () => {
    expect(loadConfig({ CALL_TTL_MINUTES: '1' }, CWD).callTtlMs).toBe(60_000);
    expect(loadConfig({ CALL_TTL_MINUTES: '1440' }, CWD).callTtlMs).toBe(1440 * 60_000);
    expect(loadConfig({ PORT: '65535' }, CWD).port).toBe(65535);
  });

  it('accepts an ADMIN_TOKEN of exactly 16 characters', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'x'.repeat(16) }, CWD).adminToken).toBe('x'.repeat(16));
  });
});

describe('SMS gateways', () => {
  const twilio = { TWILIO_ACCOUNT_SID: 'AC0123', TWILIO_AUTH_TOKEN: 'secret-token', TWILIO_FROM: '+16175550000' };

  it('configures a vendor from its variables, with its public API as the default base URL', () => {
    const config = loadConfig({ ...twilio, SMS_GATEWAY: 'twilio' }, CWD);
    expect(config.smsGateway).toBe('twilio');
    expect(config.gateways).toEqual({
      twilio: { accountSid: 'AC0123', authToken: 'secret-token', from: '+16175550000', baseUrl: 'https://api.twilio.com' },
    });
  });

  it('takes a regional or test base URL, without its trailing slash', () => {
    const config = loadConfig({ ...twilio, TWILIO_BASE_URL: 'http://127.0.0.1:4010/' }, CWD);
    expect(config.gateways.twilio?.baseUrl).toBe('http://127.0.0.1:4010');
  });

  it('names each missing variable of a vendor that is half configured', () => {
    const err = configError({ VONAGE_API_KEY: 'key' });
    expect(err.message).toContain('VONAGE_API_SECRET: is required when vonage is configured');
    expect(err.message).toContain('VONAGE_FROM: is required when vonage is configured');
    expect(configError({ TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't' }).message).toContain(
      'TWILIO_FROM: set it or TWILIO_MESSAGING_SERVICE_SID',
    );
  });

  it('takes the Vonage signature method from the dashboard, and stops on one it does not know', () => {
    const vonage = { VONAGE_API_KEY: 'key', VONAGE_API_SECRET: 'secret', VONAGE_FROM: 'Acme', VONAGE_SIGNATURE_SECRET: 'sig' };
    expect(loadConfig({ ...vonage, VONAGE_SIGNATURE_METHOD: 'sha512' }, CWD).gateways.vonage?.signatureMethod).toBe('sha512');
    expect(loadConfig(vonage, CWD).gateways.vonage).not.toHaveProperty('signatureMethod');
    const err = configError({ ...vonage, VONAGE_SIGNATURE_METHOD: 'SHA-256' });
    expect(err.message).toContain('VONAGE_SIGNATURE_METHOD: must be one of md5hash, md5, sha1, sha256, sha512');
  });

  it('keeps the Clickatell Platform and legacy HTTP APIs apart', () => {
    const config = loadConfig({ CLICKATELL_HTTP_USER: 'u', CLICKATELL_HTTP_PASSWORD: 'p', CLICKATELL_HTTP_API_ID: '1' }, CWD);
    expect(Object.keys(config.gateways)).toEqual(['clickatell-http']);
  });

  it("builds Sinch's base URL from its region (us by default, SINCH_BASE_URL first) and refuses an unknown region", () => {
    const sinch = { SINCH_SERVICE_PLAN_ID: 'plan', SINCH_API_TOKEN: 'token', SINCH_FROM: '+14155550142' };
    expect(loadConfig(sinch, CWD).gateways.sinch?.baseUrl).toBe('https://us.sms.api.sinch.com');
    expect(loadConfig({ ...sinch, SINCH_REGION: 'eu' }, CWD).gateways.sinch?.baseUrl).toBe('https://eu.sms.api.sinch.com');
    expect(loadConfig({ ...sinch, SINCH_REGION: 'eu', SINCH_BASE_URL: 'http://127.0.0.1:9/' }, CWD).gateways.sinch?.baseUrl).toBe('http://127.0.0.1:9');
    expect(configError({ ...sinch, SINCH_REGION: 'mars' }).message).toContain('SINCH_REGION');
  });

  it('needs Infobip\'s per-account base URL: there is no default', () => {
    expect(configError({ INFOBIP_API_KEY: 'key' }).message).toContain('INFOBIP_BASE_URL: is required when infobip is configured');
  });

  it('refuses a chosen gateway or fallback that has no credentials, or a fallback equal to the gateway', () => {
    expect(configError({ SMS_GATEWAY: 'plivo' }).message).toContain('SMS_GATEWAY: plivo is chosen but none of its variables are set');
    expect(configError({ SMS_FALLBACK_GATEWAY: 'vonage' }).message).toContain('SMS_FALLBACK_GATEWAY: vonage is chosen');
    expect(configError({ ...twilio, SMS_GATEWAY: 'twilio', SMS_FALLBACK_GATEWAY: 'twilio' }).message).toContain(
      'SMS_FALLBACK_GATEWAY: must differ from SMS_GATEWAY',
    );
  });

  it('reads the outbox settings and refuses out-of-range ones', () => {
    const config = loadConfig({ SMS_CALLER_WAIT_MS: '0', SMS_CONCURRENCY: '4', SMS_MAX_ATTEMPTS: '1' }, CWD);
    expect(config.outbox).toMatchObject({ callerWaitMs: 0, concurrency: 4, maxAttempts: 1 });
    expect(configError({ SMS_CALLER_WAIT_MS: '20000' }).message).toContain('SMS_CALLER_WAIT_MS: must be a whole number from 0 to 10000');
    expect(configError({ SMS_CONCURRENCY: '0' }).message).toContain('SMS_CONCURRENCY: ');
  });
});

describe('loadConfig blank values', () => {
  it('treats every blank variable (a "NAME=" line in a .env file) as unset', () => {
    const blank = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, '']));
    expect(loadConfig(blank, CWD)).toEqual(loadConfig({}, CWD));
  });

  it('keeps the admin API off when ADMIN_TOKEN is blank (not "too short")', () => {
    expect(loadConfig({ ADMIN_TOKEN: '' }, CWD).adminToken).toBeUndefined();
  });

  it('derives the public base URL from PORT when PUBLIC_BASE_URL is blank', () => {
    expect(loadConfig({ PORT: '4000', PUBLIC_BASE_URL: '' }, CWD).publicBaseUrl).toBe('http://localhost:4000');
  });

  // Surprise reported to the session: z.coerce.number(' ') is 0, so PORT=" " is not
  // treated as unset (3000) nor refused; the server would listen on a random port.
  it.each([' ', '0', '0x1F90', '1e3', '8080.5'])('refuses PORT=%j instead of reading it as some other port', (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(/PORT/);
  });
});

describe('loadConfig refuses invalid values, naming the variable', () => {
  const cases: Array<[string, string, string]> = [
    ['PORT', 'abc', 'not a number'],
    ['PORT', '70000', 'above 65535'],
    ['PORT', '-1', 'negative'],
    ['PORT', '80.5', 'not an integer'],
    ['ADMIN_TOKEN', 'short-token', 'shorter than 16 characters'],
    ['PUBLIC_BASE_URL', 'ftp://ivr.example.com', 'not http(s)'],
    ['PUBLIC_BASE_URL', 'ivr.example.com', 'without a scheme'],
    ['PUBLIC_BASE_URL', 'https://', 'without a host'],
    ['SANDBOX_FAIL_NUMBERS', '+16175550100,6175550101', 'not E.164 (no +)'],
    ['SANDBOX_FAIL_NUMBERS', '+1 617 555 0100', 'not E.164 (spaces)'],
    ['CALL_TTL_MINUTES', '0', 'below 1'],
    ['CALL_TTL_MINUTES', '1441', 'above a day'],
    ['CALL_TTL_MINUTES', 'an hour', 'not a number'],
    ['LOG_LEVEL', 'verbose', 'not a pino level'],
    ['SMS_GATEWAY', 'twilio', 'not a known gateway'],
    ['OUTBOUND_ALLOWED_HOSTS', 'http://staffing.internal:8080', 'a URL, not a host'],
  ];

  it.each(cases)('%s=%j (%s)', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
    // One line, and only the bad variable is named.
    expect(err.message).not.toContain('\n');
    for (const [other] of cases) if (other !== name) expect(err.message).not.toContain(other);
  });

  it('says what is wrong with ADMIN_TOKEN and PUBLIC_BASE_URL', () => {
    expect(configError({ ADMIN_TOKEN: 'short' }).message).toContain('ADMIN_TOKEN: must be at least 16 characters');
    expect(configError({ PUBLIC_BASE_URL: 'ftp://x.example.com' }).message).toContain(
      'PUBLIC_BASE_URL: must be an absolute http(s) URL',
    );
    expect(configError({ SANDBOX_FAIL_NUMBERS: '12345' }).message).toContain(
      'SANDBOX_FAIL_NUMBERS: must be a comma-separated list of E.164 numbers',
    );
  });

  it('names every invalid variable at once', () => {
    const err = configError({ PORT: 'abc', LOG_LEVEL: 'loud', CALL_TTL_MINUTES: '0' });
    expect(err.message).toContain('PORT: ');
    expect(err.message).toContain('LOG_LEVEL: ');
    expect(err.message).toContain('CALL_TTL_MINUTES: ');
  });
});

describe('documentation of the configuration', () => {
  const read = (file: string) => fs.readFileSync(path.resolve(__dirname, '..', file), 'utf8');

  it.each(['.env.example', 'README.md'])('%s documents every variable the server reads', (file) => {
    const text = read(file);
    const missing = CONFIG_VARIABLES.filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(missing).toEqual([]);
  });
});

describe('DATABASE_POOL_SIZE (the PostgreSQL store\'s pool)', () => {
  it('is 10 connections unless set', () => {
    expect(loadConfig({}, CWD).databasePoolSize).toBe(10);
    expect(loadConfig({ DATABASE_POOL_SIZE: '25' }, CWD).databasePoolSize).toBe(25);
  });

  it.each(['0', 'many', '501', '2.5'])('DATABASE_POOL_SIZE=%s stops start-up with a line naming it', (value) => {
    expect(() => loadConfig({ DATABASE_POOL_SIZE: value })).toThrow(/^Invalid configuration: .*DATABASE_POOL_SIZE/);
  });
});

describe('retention and erasure settings', () => {
  it.each([
    ['ERASURE_KEY', 'too-short'],
    ['RETENTION_HOUR', '24'],
    ['RETENTION_CONSENT_DAYS', '-1'],
  ])('%s=%s stops start-up with a line naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: .*${name}`));
  });
});

describe('events out (EVENTS_OUT, EVENTS_OUT_SECRET_<NAME>)', () => {
  const SECRET = 'crm-secret-0123456789abcdefghijklmn';

  it('is off by default, with its defaults: batches of 100, 256 KB, 10 s, backoff from 2 s capped at 5 minutes', () => {
    expect(loadConfig({}, CWD).eventsOut).toEqual({
      endpoints: [],
      batchSize: 100,
      maxBodyBytes: 256 * 1024,
      timeoutMs: 10_000,
      retryBaseMs: 2_000,
      retryCapMs: 300_000,
      pollMs: 5_000,
    });
  });

  it('reads each endpoint and its own secret variable (a - in the name is _ in the variable)', () => {
    const config = loadConfig(
      {
        EVENTS_OUT: JSON.stringify([
          { name: 'crm', url: 'https://crm.example.com/hooks/ivr' },
          { name: 'bi-sink', url: 'http://127.0.0.1:9000/events', types: ['offered', 'link-clicked'] },
        ]),
        EVENTS_OUT_SECRET_CRM: SECRET,
        EVENTS_OUT_SECRET_BI_SINK: `${SECRET}-bi`,
        EVENTS_OUT_RETRY_CAP_SECONDS: '60',
      },
      CWD,
    );
    expect(config.eventsOut.endpoints).toEqual([
      { name: 'crm', url: 'https://crm.example.com/hooks/ivr', types: undefined, secret: SECRET },
      { name: 'bi-sink', url: 'http://127.0.0.1:9000/events', types: ['offered', 'link-clicked'], secret: `${SECRET}-bi` },
    ]);
    expect(config.eventsOut.retryCapMs).toBe(60_000);
  });

  it.each([
    ['not JSON', { EVENTS_OUT: '[{name: crm}]' }, /^Invalid configuration: EVENTS_OUT: must be a JSON list/],
    ['plain http to another host', { EVENTS_OUT: '[{"name":"crm","url":"http://crm.example.com/x"}]', EVENTS_OUT_SECRET_CRM: SECRET }, /EVENTS_OUT: endpoint 1 url: must be https/],
    ['a password in the URL', { EVENTS_OUT: '[{"name":"crm","url":"https://u:p@crm.example.com/x"}]', EVENTS_OUT_SECRET_CRM: SECRET }, /EVENTS_OUT: endpoint 1 url: must not hold a user or password/],
    ['an unknown event type', { EVENTS_OUT: '[{"name":"crm","url":"https://crm.example.com","types":["clicked"]}]', EVENTS_OUT_SECRET_CRM: SECRET }, /EVENTS_OUT: endpoint 1 types\.0/],
    ['an unknown field', { EVENTS_OUT: '[{"name":"crm","url":"https://crm.example.com","secret":"x"}]', EVENTS_OUT_SECRET_CRM: SECRET }, /EVENTS_OUT: endpoint 1/],
    ['a name twice', { EVENTS_OUT: '[{"name":"crm","url":"https://a.example.com"},{"name":"CRM","url":"https://b.example.com"}]', EVENTS_OUT_SECRET_CRM: SECRET }, /EVENTS_OUT: endpoint 2: name CRM is used twice/],
    ['no secret', { EVENTS_OUT: '[{"name":"crm","url":"https://crm.example.com"}]' }, /EVENTS_OUT_SECRET_CRM: the secret of events endpoint crm must be set, at least 32 characters/],
    ['a short secret', { EVENTS_OUT: '[{"name":"crm","url":"https://crm.example.com"}]', EVENTS_OUT_SECRET_CRM: 'short' }, /EVENTS_OUT_SECRET_CRM: .* at least 32/],
    ['a batch size of 0', { EVENTS_OUT_BATCH_SIZE: '0' }, /EVENTS_OUT_BATCH_SIZE: must be a whole number from 1 to 1000/],
  ])('refuses %s, in one line naming the variable', (_what, env, message) => {
    const err = configError(env);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain(SECRET);
  });
});

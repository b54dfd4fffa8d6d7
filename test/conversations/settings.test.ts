import { ConfigError, loadConfig } from '../../src/config';
import { gatewaySecrets } from '../../src/sms/redacting-gateway';

/** README "Conversation outcomes": the variables, their defaults, and what stops start-up. */
const SECRET = 'conversation-webhook-secret-32-chars-long!';

function problem(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('loadConfig accepted it');
}

describe('conversation outcome settings', () => {
  it('defaults: both endpoints off, a week of grace', () => {
    expect(loadConfig({}).conversations).toEqual({ webhookSecrets: [], livePersonSecrets: [], tokenGraceSeconds: 7 * 86_400 });
  });

  it('reads comma lists of secrets (rotation) and the grace in days', () => {
    const config = loadConfig({
      CONVERSATION_WEBHOOK_SECRET: `${SECRET}, ${SECRET.toUpperCase()}`,
      LIVEPERSON_WEBHOOK_SECRET: 'lp-client-secret-0123456789',
      CONVERSATION_TOKEN_GRACE_DAYS: '2',
    });
    expect(config.conversations).toEqual({ webhookSecrets: [SECRET, SECRET.toUpperCase()], livePersonSecrets: ['lp-client-secret-0123456789'], tokenGraceSeconds: 2 * 86_400 });
  });

  it('stops start-up with one line naming the variable for a short secret or a grace out of range', () => {
    const short = problem({ CONVERSATION_WEBHOOK_SECRET: `${SECRET},too-short` });
    expect(short).toMatch(/^Invalid configuration: CONVERSATION_WEBHOOK_SECRET: every secret must be at least 32 characters$/);
    expect(short).not.toContain(SECRET);
    expect(problem({ LIVEPERSON_WEBHOOK_SECRET: 'short' })).toMatch(/LIVEPERSON_WEBHOOK_SECRET: every secret must be at least 16 characters/);
    expect(problem({ CONVERSATION_TOKEN_GRACE_DAYS: '31' })).toMatch(/CONVERSATION_TOKEN_GRACE_DAYS: must be a whole number from 0 to 30/);
  });

  it('joins the redaction of vendor answers', () => {
    const secrets = gatewaySecrets({} as Parameters<typeof gatewaySecrets>[0], [SECRET]);
    expect(secrets).toContain(SECRET);
  });
});

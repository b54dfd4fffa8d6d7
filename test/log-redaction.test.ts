import pino from 'pino';
import { createLogger } from '../src/log';
import { REDACTED_PATHS } from '../src/log-redaction';

/**
 * The production logger redacts with its own formatter (src/log-redaction.ts) instead of
 * pino's `redact` option, for speed. pino's redaction with the same paths is the
 * independent implementation it must agree with, line for line.
 */
function sink() {
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } as pino.DestinationStream;
  return { lines, stream };
}

function withoutTime(line: Record<string, unknown>) {
  const { time: _time, pid: _pid, hostname: _hostname, ...rest } = line;
  return rest;
}

class VendorError extends Error {
  constructor(
    message: string,
    readonly secret: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const CASES: Record<string, unknown>[] = [
  { ani: '+*******1234', variant: 'a' },
  { authorization: 'Bearer top', adminToken: 'admin-token', databaseUrl: 'postgres://u:p@h/db', metricsToken: 'm', tokenSecret: 't', apiToken: 'a', secret: 's', clientSecret: 'c' },
  { request: { headers: { authorization: 'Basic abc', accept: 'x' }, authorization: 'Bearer x', path: '/p' } },
  { headers: { authorization: 'Basic abc', host: 'h' } },
  { gateway: { apiToken: 'tok', tokenSecret: 'ts', secret: 'sec', name: 'twilio' }, other: 1 },
  { config: { endpoints: [{ url: 'https://a', secret: 'one' }, { url: 'https://b' }] }, endpoints: [{ secret: 'two', url: 'c' }] },
  { oidc: { provider: { clientSecret: 'deep', issuer: 'i' } }, a: { b: { c: { clientSecret: 'deeper' } } } },
  // Not a path: a secret two levels down through an array is left by pino too (the paths say where secrets are).
  { list: [{ secret: 'in-array' }, 'plain'], nothing: null, secretish: 'kept' },
  { secret: null, nested: { secret: 0 } },
  { err: new VendorError('refused', 'error-secret', 401) },
];

describe('log redaction (the production logger against pino redact with the same paths)', () => {
  it('writes the same lines as pino redact for secrets at every path, and none of the secret values', () => {
    const ours = sink();
    const theirs = sink();
    const log = createLogger('info', ours.stream);
    const reference = pino({ level: 'info', base: { service: 'ivr-deflect' }, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } }, theirs.stream);
    for (const object of CASES) {
      log.info(object, 'line');
      reference.info(object, 'line');
    }
    const thrown = new VendorError('thrown', 'thrown-secret', 500);
    log.error(thrown, 'failed');
    reference.error(thrown, 'failed');
    expect(ours.lines.map(withoutTime)).toEqual(theirs.lines.map(withoutTime));
    const written = JSON.stringify(ours.lines);
    for (const secret of ['Bearer top', 'admin-token', 'postgres://u:p@h/db', 'Basic abc', 'tok', 'one', 'two', 'deep', 'deeper', 'error-secret', 'thrown-secret']) {
      expect(written).not.toContain(`"${secret}"`);
    }
    expect(written).toContain('"secretish":"kept"');
  });

  it("censors a child logger's bindings as pino redact does, and leaves the logged objects unchanged", () => {
    const ours = sink();
    const theirs = sink();
    const bindings = { campaignId: 'support', gateway: { apiToken: 'child-token' } };
    createLogger('info', ours.stream).child(bindings).info({ step: 'start' }, 'child line');
    pino({ level: 'info', base: { service: 'ivr-deflect' }, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } }, theirs.stream)
      .child(bindings)
      .info({ step: 'start' }, 'child line');
    expect(ours.lines.map(withoutTime)).toEqual(theirs.lines.map(withoutTime));
    expect(JSON.stringify(ours.lines)).not.toContain('child-token');
    // The caller's objects keep their values: only the line is censored.
    expect(bindings.gateway.apiToken).toBe('child-token');
    const logged = { authorization: 'Bearer kept-in-memory' };
    createLogger('info', sink().stream).info(logged, 'x');
    expect(logged.authorization).toBe('Bearer kept-in-memory');
  });
});

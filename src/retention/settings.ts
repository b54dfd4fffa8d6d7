import { z } from 'zod';
import { optionalText, wholeNumber } from '../env-values';
import type { RetentionSettings } from './job';

/**
 * Retention and erasure (README "Data"): days each class of data is kept (0: for ever),
 * the UTC hour of the daily run, and the secret that keys what erasure leaves on the
 * opt-out list. The defaults are argued in the README.
 */
export const RetentionEnvShape = {
  RETENTION_CALLS_DAYS: wholeNumber(0, 36_500, 400),
  RETENTION_MESSAGES_DAYS: wholeNumber(0, 36_500, 400),
  RETENTION_CONSENT_DAYS: wholeNumber(0, 36_500, 1_826),
  RETENTION_SHORT_LINKS_DAYS: wholeNumber(0, 36_500, 30),
  RETENTION_AUDIT_DAYS: wholeNumber(0, 36_500, 2_190),
  RETENTION_HOUR: wholeNumber(0, 23, 3),
  // HMAC-SHA256 wants a key as long as its hash: 32 bytes at least.
  ERASURE_KEY: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
};

type Env = z.output<z.ZodObject<typeof RetentionEnvShape>>;

export interface DataSettings {
  retention: RetentionSettings;
  /** Undefined: POST /api/erasure answers 503 until it is set. */
  erasureKey: string | undefined;
}

export function dataSettingsFrom(e: Env): DataSettings {
  return {
    retention: {
      days: {
        // Call events are the calls' story: kept as long as the calls.
        calls: e.RETENTION_CALLS_DAYS,
        events: e.RETENTION_CALLS_DAYS,
        messages: e.RETENTION_MESSAGES_DAYS,
        consent: e.RETENTION_CONSENT_DAYS,
        'short-links': e.RETENTION_SHORT_LINKS_DAYS,
        audit: e.RETENTION_AUDIT_DAYS,
      },
      hour: e.RETENTION_HOUR,
    },
    erasureKey: e.ERASURE_KEY,
  };
}

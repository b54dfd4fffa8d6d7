import { z } from 'zod';
import { wholeNumber } from '../env-values';

/**
 * The budgets that bound what anyone walking calls can cost the brand (SMS pumping, paid
 * lookups, chat engagements): the environment variables and their parsing, spread into
 * the config's schema like the security settings. Every one has a default, so a server
 * started with none of them set is bounded.
 */

export interface AbuseSettings {
  /** Texts the whole service may send in any rolling hour, across campaigns. */
  serviceHourlyBudget: number;
  pumping: PumpingGuardSettings;
  /** Line-type lookups one call may make (its own number and each number entered). */
  lookupsPerCall: number;
  /** Paid line-type lookups this instance may make in a clock hour (cached answers are free). */
  lookupsPerHour: number;
  /** Remote availability checks (chat engagements) this instance may make per campaign per minute. */
  availabilityChecksPerMinute: number;
}

export interface PumpingGuardSettings {
  /** The sliding window both guard counts look back over. */
  windowMinutes: number;
  /** A range is the numbers that differ only in their last rangeDigits digits. */
  rangeDigits: number;
  /** Texts to one range within the window, from any campaign, before the range is paused. */
  maxPerRange: number;
  /** A campaign's texts to one calling code other than its own country's within the window. */
  maxPerForeignCountry: number;
}

export const AbuseEnvShape = {
  SMS_SERVICE_HOURLY_BUDGET: wholeNumber(1, 1_000_000, 300),
  PUMPING_WINDOW_MINUTES: wholeNumber(1, 1440, 10),
  PUMPING_RANGE_DIGITS: wholeNumber(1, 8, 4),
  PUMPING_MAX_PER_RANGE: wholeNumber(1, 100_000, 5),
  PUMPING_MAX_PER_FOREIGN_COUNTRY: wholeNumber(1, 100_000, 3),
  LOOKUP_MAX_PER_CALL: wholeNumber(1, 10, 3),
  LOOKUP_HOURLY_BUDGET: wholeNumber(1, 1_000_000, 300),
  AVAILABILITY_CHECKS_PER_MINUTE: wholeNumber(1, 100_000, 60),
};

type AbuseEnv = z.output<z.ZodObject<typeof AbuseEnvShape>>;

export function abuseSettingsFrom(e: AbuseEnv): AbuseSettings {
  return {
    serviceHourlyBudget: e.SMS_SERVICE_HOURLY_BUDGET,
    pumping: {
      windowMinutes: e.PUMPING_WINDOW_MINUTES,
      rangeDigits: e.PUMPING_RANGE_DIGITS,
      maxPerRange: e.PUMPING_MAX_PER_RANGE,
      maxPerForeignCountry: e.PUMPING_MAX_PER_FOREIGN_COUNTRY,
    },
    lookupsPerCall: e.LOOKUP_MAX_PER_CALL,
    lookupsPerHour: e.LOOKUP_HOURLY_BUDGET,
    availabilityChecksPerMinute: e.AVAILABILITY_CHECKS_PER_MINUTE,
  };
}

/** What a server gets with none of the variables set (tests build services from it). */
export const DEFAULT_ABUSE_SETTINGS: AbuseSettings = abuseSettingsFrom(z.object(AbuseEnvShape).parse({}));

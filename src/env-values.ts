import { z } from 'zod';

/**
 * The shapes of environment values shared by every settings module that config.ts spreads
 * into its schema, so a variable reads and fails the same way wherever it is declared.
 */

/** Blank values in a .env file ("ADMIN_TOKEN=") mean "not set", not "set to empty". */
export const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** A whole number in [min, max], `fallback` when unset; the message names the range. */
export function wholeNumber(min: number, max: number, fallback: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, message)
      .transform(Number)
      .refine((n) => n >= min && n <= max, message)
      .default(fallback),
  );
}

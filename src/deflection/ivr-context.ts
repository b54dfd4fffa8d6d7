import type { IvrContextSettings } from '../campaigns/schema';

/**
 * The IVR's named context for the agent (README "Context for the agent"), filtered by the
 * campaign's allow-list. Pure: the HTTP layer hands over what the request said
 * (ctx.<name> parameters), this decides what is kept.
 *
 * A value is kept whole or not at all: a value cut short or with its control characters
 * stripped could tell the agent something the IVR did not say (an account reference one
 * digit short is another account).
 */
export interface KeptContext {
  /** The allowed names with their values; null when nothing was kept. */
  values: Record<string, string> | null;
  /** How many names were dropped: not allowed, too long, control characters, or no campaign setting. */
  dropped: number;
}

// C0 and C1 controls, DEL, line and paragraph separators, and the replacement character
// (bytes that were not UTF-8): none belongs in a short label an agent reads.
// eslint-disable-next-line no-control-regex
const REFUSED_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/;

export function keepContext(raw: Readonly<Record<string, string>>, settings: IvrContextSettings | undefined): KeptContext {
  const names = Object.keys(raw);
  if (!settings) return { values: null, dropped: names.filter((n) => raw[n] !== '').length };
  const allowed = new Set(settings.allow);
  const values: Record<string, string> = {};
  let dropped = 0;
  for (const name of names) {
    const value = (raw[name] ?? '').trim();
    if (value === '') continue;
    if (!allowed.has(name) || REFUSED_CHARACTERS.test(value) || [...value].length > settings.maxLength) {
      dropped += 1;
      continue;
    }
    values[name] = value;
  }
  return { values: Object.keys(values).length ? values : null, dropped };
}

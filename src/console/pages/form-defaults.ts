import { isDeepStrictEqual } from 'node:util';

/**
 * The campaign form shows every setting with its default filled in, but a file that left a
 * setting out must stay without it after a save that changed nothing (as `active` does):
 * otherwise opening and saving a campaign would write defaults into it, and a later change
 * of a default would no longer reach it. So a key the previous document did not hold is
 * written only when its value differs from the default.
 */
export function keepLeftOut(
  built: Record<string, unknown>,
  previous: unknown,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const before = previous && typeof previous === 'object' ? (previous as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(built)) {
    if (value === undefined) continue;
    if (!(key in before) && key in defaults && isDeepStrictEqual(value, defaults[key])) continue;
    out[key] = value;
  }
  return out;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * An audit entry's detail as canonical JSON text: keys sorted (so the same detail is the
 * same text, and hashes the same, whichever code wrote it), strings and lists cut short,
 * and the whole at most MAX_DETAIL_CHARS, so no action can grow the table without bound.
 */
export const MAX_DETAIL_CHARS = 8_192;
const MAX_STRING = 500;
const MAX_ITEMS = 50;

function bounded(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
  if (depth > 8) return '(nested too deep)';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ITEMS).map((v) => bounded(v, depth + 1));
    return value.length > MAX_ITEMS ? [...kept, `… ${value.length - MAX_ITEMS} more`] : kept;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = bounded(v, depth + 1);
    }
    return out;
  }
  return String(value);
}

/** null for no detail; a `{"truncated":true}` stand-in when even the cut-down detail is too long. */
export function detailText(detail: Record<string, unknown> | undefined): string | null {
  if (!detail || !Object.keys(detail).length) return null;
  const text = JSON.stringify(bounded(detail, 0));
  return text.length <= MAX_DETAIL_CHARS ? text : JSON.stringify({ truncated: true, characters: text.length });
}

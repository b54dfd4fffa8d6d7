/**
 * What a change changed, for the audit trail: the JSON pointers (RFC 6901) of the values
 * that differ, with the old and new value. Lists are compared whole (a reordered list is
 * one change at the list's path). Secrets and phone numbers are masked: the audit trail
 * is read by more people than may see them.
 */
export interface Change {
  path: string;
  old?: unknown;
  new?: unknown;
}

// Names of settings that hold credentials; DTMF keys (acceptKey) are not secrets.
const SECRET_NAME = /secret|password|token|credential|api[-_]?key|authorization/i;
// Something dialled: a + or at least 7 digits among spaces, dots, dashes and brackets.
const PHONE_LIKE = /^(?:tel:)?\+?[\d\s().-]{7,}$/;

const pointer = (segments: readonly string[]): string => segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('') || '/';

/** A value with every phone-number-like string masked (all but the last 4 digits) and secret-named members redacted. */
export function maskValue(value: unknown, name = ''): unknown {
  if (SECRET_NAME.test(name) && value !== undefined && value !== null) return '[redacted]';
  if (typeof value === 'string') {
    if (!PHONE_LIKE.test(value.trim()) || (value.match(/\d/g) ?? []).length < 7) return value;
    const digits = (value.match(/\d/g) ?? []).length;
    let seen = 0;
    return value.replace(/\d/g, (d) => (++seen <= digits - 4 ? '*' : d));
  }
  if (Array.isArray(value)) return value.map((v) => maskValue(v, name));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, k)]));
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The changes from `before` to `after` (undefined: absent), masked. */
export function diff(before: unknown, after: unknown): Change[] {
  const changes: Change[] = [];
  const walk = (a: unknown, b: unknown, path: string[]): void => {
    if (isObject(a) && isObject(b)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[key], b[key], [...path, key]);
      return;
    }
    if (same(a, b)) return;
    const name = path.at(-1) ?? '';
    changes.push({
      path: pointer(path),
      ...(a === undefined ? {} : { old: maskValue(a, name) }),
      ...(b === undefined ? {} : { new: maskValue(b, name) }),
    });
  };
  walk(before, after, []);
  return changes;
}

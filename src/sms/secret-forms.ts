/**
 * The shapes one credential takes on its way to a vendor, and so the shapes a vendor (or a
 * proxy in front of it) can echo it back in: as typed, URL-encoded (encodeURIComponent
 * leaves !'()*~ alone), form-encoded (space is "+", and !'()~ are escaped), as a JSON
 * string, HTML-escaped, and base64 (alone, inside a longer base64 blob, or as the HTTP
 * Basic "user:password").
 */

const jsonString = (value: string): string => JSON.stringify(value).slice(1, -1);
/** JSON writers that escape "/" and everything outside ASCII (PHP's json_encode, Jackson with options). */
const jsonAscii = (value: string): string =>
  jsonString(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const formEncoded = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1);
const htmlEscaped = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const base64 = (bytes: Buffer): string => bytes.toString('base64');
const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/**
 * Base64 of a value sitting inside a longer encoded blob depends on where it starts
 * (0, 1 or 2 bytes into a 3-byte group): these are the characters that encode only the
 * value's own whole groups, for each of the three alignments. Too short a core would
 * match ordinary text, so values under 8 bytes are left to their other forms there.
 */
const MIN_CORE_CHARS = 8;
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (const skip of [0, 1, 2]) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole <= 0) continue;
    const core = base64(bytes.subarray(skip, skip + whole));
    if (core.length >= MIN_CORE_CHARS) cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return cores;
}

/** Every form one credential can be echoed back in. */
export function secretForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [
    value,
    encodeURIComponent(value),
    formEncoded(value),
    jsonString(value),
    jsonAscii(value),
    htmlEscaped(value),
    base64(bytes),
    base64url(bytes),
    ...base64Cores(bytes),
  ];
  return [...new Set(forms)].filter((f) => f.length > 0);
}

/** The HTTP Basic credentials of a user and password, as sent and as a blob's part. */
export function basicForms(user: string, password: string): string[] {
  return secretForms(`${user}:${password}`).filter((f) => f !== `${user}:${password}`);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One replacer for all the forms: longest first, so a Basic blob is taken out whole before
 * the password inside it is; case-insensitive, because percent-escapes come in either case
 * (and taking out a little more than the secret costs nothing).
 */
export function secretRedactor(forms: readonly string[]): (text: string) => string {
  const unique = [...new Set(forms)].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  if (unique.length === 0) return (text) => text;
  const pattern = new RegExp(unique.map(escapeRegExp).join('|'), 'gi');
  return (text) => text.replace(pattern, '[secret]');
}

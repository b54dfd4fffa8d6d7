/**
 * Characters XML 1.0 cannot hold (its Char production): C0 controls other than tab, line
 * feed and carriage return, U+FFFE and U+FFFF, and UTF-16 surrogates without their pair.
 * One in a prompt makes every VoiceXML document that speaks it ill-formed: a dropped call.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NOT_XML_ALL = new RegExp(NOT_XML.source, 'g');

/** The first character XML cannot hold, described for people ("U+0007"), or undefined. */
export function firstNonXmlChar(text: string): string | undefined {
  const found = NOT_XML.exec(text)?.[0];
  return found === undefined ? undefined : `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The text without the characters XML cannot hold. */
export function withoutNonXmlChars(text: string): string {
  return text.replace(NOT_XML_ALL, '');
}

import { keyList, utteranceOf } from './keys';
import { GrammarError, type DtmfGrammar } from './types';

/**
 * The DTMF halves of the builtin grammar types of VoiceXML 2.0 appendix P (unchanged in 2.1).
 * Every type gives keys a meaning, so none of them is unsupported here:
 *
 *   boolean   1 (or ?y=) is ECMAScript true, 2 (or ?n=) false.
 *   digits    one or more of 0-9, ?length= / ?minlength= / ?maxlength=; the digit string.
 *   number    digits, "*" the decimal point; a string, not a number: appendix P returns
 *             "a string of digits ... with no leading zero" and lets ECMAScript convert it.
 *   phone     digits, "*" meaning "x" (an extension): "8005551234x789".
 *   currency  digits, "*" the decimal point; "mm.nn" (no currency code can be keyed).
 *   date      yyyymmdd, eight digits; the same string.
 *   time      hhmm, four digits; "hhmm" + "h" when the hour can only be 24-hour (00, 13-23),
 *             "?" when it could be either (01-12): DTMF has no way to say am or pm.
 *
 * All results but boolean's are strings, as appendix P specifies.
 */

type Params = ReadonlyMap<string, string>;

interface BuiltinType {
  parameters: readonly string[];
  build(params: Params): DtmfGrammar;
}

/** Appendix P: a parameter that conflicts with another is error.badfetch. */
const conflict = (message: string) => new GrammarError('error.badfetch', message);

/**
 * A builtin over the pressed keys as one string: `interpret` gives the value or undefined (no
 * match); `prefix` says whether the keys could still grow into a match.
 */
function keyGrammar(
  description: string,
  interpret: (keys: string) => string | boolean | undefined,
  prefix: (keys: string) => boolean,
): DtmfGrammar {
  return {
    describe: () => description,
    match(keys) {
      const pressed = keyList(keys);
      const interpretation = pressed && interpret(pressed.join(''));
      return pressed && interpretation !== undefined ? { utterance: utteranceOf(pressed), interpretation } : undefined;
    },
    couldContinue(keys) {
      const pressed = keyList(keys);
      return !!pressed && prefix(pressed.join(''));
    },
  };
}

function lengthParam(params: Params, name: string): number | undefined {
  const value = params.get(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw conflict(`digits?${name}=${value}: a length must be a whole number of at least 1`);
  return Number(value);
}

function digits(params: Params): DtmfGrammar {
  const length = lengthParam(params, 'length');
  const min = lengthParam(params, 'minlength');
  const max = lengthParam(params, 'maxlength');
  // Appendix P makes length conflict with minlength and maxlength; mainstream platforms
  // (Nuance among them) reject the combination outright even when the values agree.
  if (length !== undefined && (min !== undefined || max !== undefined)) {
    throw conflict('digits: length cannot be combined with minlength or maxlength');
  }
  if (min !== undefined && max !== undefined && min > max) throw conflict(`digits: minlength ${min} is more than maxlength ${max}`);
  const lo = length ?? min ?? 1;
  const hi = length ?? max ?? Infinity;
  const description =
    length !== undefined ? `digits (${length})`
    : min !== undefined && max !== undefined ? `digits (${min} to ${max})`
    : min !== undefined ? `digits (at least ${min})`
    : max !== undefined ? `digits (up to ${max})`
    : 'digits';
  return keyGrammar(
    description,
    (keys) => (/^\d+$/.test(keys) && keys.length >= lo && keys.length <= hi ? keys : undefined),
    (keys) => /^\d*$/.test(keys) && keys.length < hi,
  );
}

function booleanKey(params: Params, name: string, fallback: string): string {
  const value = params.get(name) ?? fallback;
  if (!/^[0-9*#]$/.test(value)) throw conflict(`boolean?${name}=${value}: must be one DTMF key`);
  return value;
}

function boolean(params: Params): DtmfGrammar {
  const yes = booleanKey(params, 'y', '1');
  const no = booleanKey(params, 'n', '2');
  if (yes === no) throw conflict(`boolean: y and n are both ${yes}`);
  return keyGrammar(
    `yes (${yes}) | no (${no})`,
    (keys) => (keys === yes ? true : keys === no ? false : undefined),
    (keys) => keys === '',
  );
}

/** "007" is 7: appendix P forbids leading zeros (ECMAScript would once read them as octal). */
const withoutLeadingZeros = (whole: string) => whole.replace(/^0+(?=\d)/, '');

/** Digits, optionally "*" and more digits: number and phone. */
const decimalPrefix = (keys: string) => /^(\d+(\*\d*)?)?$/.test(keys);

function number(): DtmfGrammar {
  return keyGrammar(
    'number (* for the decimal point)',
    (keys) => {
      const parts = /^(\d+)(?:\*(\d+))?$/.exec(keys);
      return parts ? withoutLeadingZeros(parts[1]) + (parts[2] === undefined ? '' : `.${parts[2]}`) : undefined;
    },
    decimalPrefix,
  );
}

function phone(): DtmfGrammar {
  return keyGrammar(
    'phone (* for an extension)',
    (keys) => (/^\d+(\*\d+)?$/.test(keys) ? keys.replace('*', 'x') : undefined),
    decimalPrefix,
  );
}

/** Dollars then, after "*", one or two cent digits; always returned with two ("3*5" is "3.50"). */
function currency(): DtmfGrammar {
  return keyGrammar(
    'currency (* for the decimal point)',
    (keys) => {
      const parts = /^(\d+)(?:\*(\d{1,2}))?$/.exec(keys);
      return parts ? `${withoutLeadingZeros(parts[1])}.${(parts[2] ?? '').padEnd(2, '0')}` : undefined;
    },
    (keys) => /^(\d+(\*\d?)?)?$/.test(keys),
  );
}

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

function date(): DtmfGrammar {
  return keyGrammar(
    'date (yyyymmdd)',
    (keys) => {
      const parts = /^(\d{4})(\d\d)(\d\d)$/.exec(keys);
      if (!parts) return undefined;
      const [year, month, day] = parts.slice(1).map(Number);
      return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) ? keys : undefined;
    },
    (keys) => /^\d{0,7}$/.test(keys),
  );
}

function time(): DtmfGrammar {
  return keyGrammar(
    'time (hhmm)',
    (keys) => {
      const parts = /^(\d\d)(\d\d)$/.exec(keys);
      if (!parts) return undefined;
      const [hour, minute] = parts.slice(1).map(Number);
      if (hour > 23 || minute > 59) return undefined;
      return keys + (hour >= 1 && hour <= 12 ? '?' : 'h');
    },
    (keys) => /^\d{0,3}$/.test(keys),
  );
}

const TYPES: Readonly<Record<string, BuiltinType>> = {
  boolean: { parameters: ['y', 'n'], build: boolean },
  digits: { parameters: ['length', 'minlength', 'maxlength'], build: digits },
  number: { parameters: [], build: number },
  phone: { parameters: [], build: phone },
  currency: { parameters: [], build: currency },
  date: { parameters: [], build: date },
  time: { parameters: [], build: time },
};

/**
 * A field's type attribute or a builtin URI: "digits", "digits?length=4",
 * "digits?minlength=2;maxlength=5", "builtin:dtmf/digits?maxlength=3", "boolean?y=7;n=9"...
 *
 * "builtin:grammar/<type>" names only the speech grammar of the type (appendix P), so its
 * grammar is valid but no key sequence ever matches it: the simulator's caller only presses
 * keys. An unknown type, URI form or parameter is error.unsupported.builtin; a bad or
 * conflicting parameter value is error.badfetch, as appendix P says for digits.
 */
export function builtinGrammar(type: string): DtmfGrammar {
  const parts = /^(?:builtin:(dtmf|grammar)\/)?([a-z]+)(?:\?(.*))?$/.exec(type.trim());
  const builtin = parts && Object.hasOwn(TYPES, parts[2]) ? TYPES[parts[2]] : undefined;
  if (!parts || !builtin) throw new GrammarError('error.unsupported.builtin', `"${type}" is not a builtin grammar`);
  const params = new Map<string, string>();
  for (const param of (parts[3] ?? '').split(';').filter(Boolean)) {
    const [name, value, extra] = param.split('=');
    if (value === undefined || extra !== undefined) throw conflict(`${type}: "${param}" is not name=value`);
    if (!builtin.parameters.includes(name)) {
      throw new GrammarError('error.unsupported.builtin', `${type}: ${parts[2]} has no parameter "${name}"`);
    }
    params.set(name, value);
  }
  const grammar = builtin.build(params);
  if (parts[1] !== 'grammar') return grammar;
  return {
    describe: () => `${grammar.describe()} (speech only: no keys match)`,
    match: () => undefined,
    couldContinue: () => false,
  };
}

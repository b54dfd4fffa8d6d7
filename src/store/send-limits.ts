import type { NewMessage, SendLimit } from './port';

/** A limit's SQL condition and its values in order (limitCondition). */
export interface LimitCondition {
  where: string;
  values: string[];
}

/**
 * Which stored texts a send limit counts, as one SQL condition both stores run: SQLite
 * and PostgreSQL differ only in how a parameter is written (`?` or `$n`), so the caller
 * passes its placeholder style and gets back the condition and its values in order.
 *
 * - destination: texts to this number, from any campaign;
 * - caller: texts for calls from this caller. A withheld, empty or unreadable ANI is
 *   stored as '' and shares one "withheld" bucket per campaign: a script cycling through
 *   withheld calls gets the limits of one caller, not none;
 * - campaign: texts of this campaign (its hourly and daily caps);
 * - service: every text (the service's global budget);
 * - prefix: texts to numbers starting with these digits, from any campaign (the pumping
 *   guard's burst window);
 * - country: this campaign's texts to one calling code (the pumping guard's window for a
 *   country outside the campaign's usual traffic).
 */
export function limitCondition(limit: SendLimit, message: NewMessage, placeholder: (index: number) => string): LimitCondition {
  const values: string[] = [];
  const param = (value: string): string => {
    values.push(value);
    return placeholder(values.length);
  };
  // "Starts with the prefix" as a range of the column, which the ("to", created_at) index
  // serves: a range limit then reads the texts to that range only, not every text of its
  // window. Exact because both stores compare "to" byte by byte (SQLite's BINARY, the
  // PostgreSQL column's COLLATE "C"): the strings starting with "+1617555" are those from
  // "+1617555" up to, not including, "+1617556".
  const startsWith = (prefix: string): string => `"to" >= ${param(prefix)} AND "to" < ${param(nextPrefix(prefix))}`;
  switch (limit.scope) {
    case 'destination':
      return { where: `"to" = ${param(message.to)}`, values };
    case 'caller':
      // `caller <> ''` says what the value already is, for the planners: a parameter alone
      // does not imply the partial index messages_caller_created's predicate, so without it
      // both stores counted the caller's texts by reading every text of the window.
      return message.caller
        ? { where: `caller = ${param(message.caller)} AND caller <> ''`, values }
        : { where: `caller = '' AND campaign_id = ${param(message.campaignId)}`, values };
    case 'campaign':
      return { where: `campaign_id = ${param(message.campaignId)}`, values };
    case 'service':
      return { where: '1 = 1', values };
    case 'prefix':
      return { where: startsWith(numberPrefixOf(limit)), values };
    case 'country': {
      const where = `campaign_id = ${param(message.campaignId)} AND ${startsWith(numberPrefixOf(limit))}`;
      return { where, values };
    }
  }
}

/**
 * The keys an admission serialises on (PostgreSQL's advisory locks): every key whose
 * count it reads or whose count its insert changes for another admission.
 * - the destination and the caller (or the campaign's withheld bucket), always: those
 *   limits count across campaigns, so an admission without such a rule still inserts what
 *   another one counts;
 * - the campaign, the service, a prefix or a country, only when this admission checks
 *   that limit: admissions that do not check it never queue behind each other for it.
 */
export function admissionLockKeys(message: NewMessage, limits: readonly SendLimit[]): string[] {
  const keys = [`destination:${message.to}`, message.caller ? `caller:${message.caller}` : `withheld:${message.campaignId}`];
  for (const limit of limits) {
    if (limit.scope === 'campaign') keys.push(`campaign:${message.campaignId}`);
    if (limit.scope === 'service') keys.push('service');
    if (limit.scope === 'prefix') keys.push(`prefix:${numberPrefixOf(limit)}`);
    if (limit.scope === 'country') keys.push(`country:${message.campaignId}:${numberPrefixOf(limit)}`);
  }
  return [...new Set(keys)];
}

/** The first string after every string that starts with `prefix` ("+1617555" -> "+1617556"); a prefix is "+" and digits. */
function nextPrefix(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * At most this many rows are counted: `count < max` reads the same on min(count, max), so
 * a count stops as soon as the limit is reached (a service budget of 300 an hour counts at
 * most 300 texts, however many the hour held). Limits are whole numbers; ceil keeps it exact otherwise.
 */
export function countCeiling(limit: SendLimit): number {
  return Math.max(0, Math.ceil(limit.max));
}

function numberPrefixOf(limit: SendLimit): string {
  if (!limit.numberPrefix || !/^\+\d+$/.test(limit.numberPrefix)) {
    throw new RangeError(`a ${limit.scope} limit needs numberPrefix: "+" and digits, not ${JSON.stringify(limit.numberPrefix)}`);
  }
  return limit.numberPrefix;
}

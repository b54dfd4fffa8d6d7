/**
 * Wall-clock time in IANA time zones, with Intl (no time-zone library needed): opening
 * hours compare local times, and a campaign's daily cap counts from local midnight.
 */

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Building a formatter costs far more than using one: one per zone, kept. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // h23: with hour12:false some ICU versions print midnight as "24".
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The local date and time at `at`; an unknown zone throws a RangeError (see isTimeZone). */
export function wallClock(at: Date, timeZone: string): WallClock {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

export function isTimeZone(name: string): boolean {
  // Newer ICU also takes UTC offsets ("+05:30"): not IANA names, and they never follow DST.
  if (/^[+-]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Midnight of the local day that contains `at`, as a UTC instant. A day of 23 or 25
 * hours (daylight-saving changes) is still one day.
 */
export function startOfLocalDay(at: Date, timeZone: string): Date {
  const local = wallClock(at, timeZone);
  // Guess midnight with the offset in force now, then correct by the offset in force at
  // the guess (they differ only when a DST change falls between midnight and now).
  const midnightAsUtc = Date.UTC(local.year, local.month - 1, local.day);
  let guess = midnightAsUtc - offsetMs(at, timeZone);
  guess = midnightAsUtc - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

/** How far the zone's wall clock is ahead of UTC at `at`. */
function offsetMs(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - (at.getTime() - (at.getTime() % 1000));
}

/**
 * Midnight of the local day that contains `at`, in an IANA time zone, as a UTC instant.
 * A campaign's daily cap counts from it, so "per day" means the brand's day, and a
 * day of 23 or 25 hours (daylight-saving changes) is still one day.
 */
export function startOfLocalDay(at: Date, timeZone: string): Date {
  const local = wallClock(at, timeZone);
  // Guess midnight as if the zone had today's offset, then correct by the offset at the
  // guess (they differ only when a DST change falls between midnight and now).
  const midnightAsUtc = Date.UTC(local.year, local.month - 1, local.day);
  const offsetNow = wallClockMs(at, timeZone) - at.getTime();
  let guess = midnightAsUtc - offsetNow;
  const offsetAtGuess = wallClockMs(new Date(guess), timeZone) - guess;
  guess = midnightAsUtc - offsetAtGuess;
  return new Date(guess);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(at: Date, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The local wall-clock time read as if it were UTC: its difference from `at` is the offset. */
function wallClockMs(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) + (at.getTime() % 1000);
}

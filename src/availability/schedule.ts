import { z } from 'zod';
import { wallClock } from '../time-zone';

/**
 * Opening hours (campaign.hours): a pure rule evaluated on the local wall clock of the
 * campaign's IANA time zone. Comparing wall-clock minutes, not UTC offsets, is what makes
 * daylight-saving changes come out right: on a spring-forward day 02:30 simply never
 * happens locally, and on a fall-back day both 01:30s fall inside "01:00-02:00".
 */

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
type Weekday = (typeof WEEKDAYS)[number];

const MINUTES_PER_DAY = 24 * 60;

// "24:00" is only meaningful as an end: a start of 24:00 is the next day's 00:00.
const RANGE = /^(?:[01]\d|2[0-3]):[0-5]\d-(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

interface Minutes {
  start: number;
  end: number;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function isWellFormed(range: string): boolean {
  return RANGE.test(range) && range.slice(0, 5) !== range.slice(6, 11);
}

/** Only for strings the schema accepted. An end not after the start means overnight. */
function parseRange(range: string): Minutes {
  return { start: minutesOf(range.slice(0, 5)), end: minutesOf(range.slice(6, 11)) };
}

const TimeRange = z
  .string()
  .regex(RANGE, {
    error: (iss) =>
      `"${String(iss.input)}" must be a time range HH:MM-HH:MM (24-hour, e.g. 08:00-20:00; the end may be 24:00)`,
    abort: true,
  })
  .refine(isWellFormed, {
    error: (iss) => `"${String(iss.input)}" starts and ends at the same time; use 00:00-24:00 for the whole day`,
  })
  .describe('HH:MM-HH:MM local time, start inclusive, end exclusive; an end not after the start runs past midnight');

const DayRanges = z
  .array(TimeRange)
  .superRefine((ranges, ctx) => {
    // Per day only: an overnight range counts up to midnight here, its tail belongs to the next day.
    const spans = ranges
      .filter(isWellFormed)
      .map((text) => {
        const { start, end } = parseRange(text);
        return { text, start, end: end > start ? end : MINUTES_PER_DAY };
      })
      .sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1]!;
      const next = spans[i]!;
      if (next.start < prev.end) {
        ctx.addIssue({ code: 'custom', message: `ranges "${prev.text}" and "${next.text}" overlap` });
      }
    }
  })
  .describe('Opening ranges for one day; an empty list means closed');

const LocalDate = z.iso.date({
  error: (iss) => `"${String(iss.input)}" must be a real calendar date YYYY-MM-DD`,
});

const weeklyShape = Object.fromEntries(WEEKDAYS.map((day) => [day, DayRanges.optional()])) as Record<
  Weekday,
  z.ZodOptional<typeof DayRanges>
>;

export const OpeningHoursSchema = z
  .strictObject({
    weekly: z
      .strictObject(weeklyShape, {
        error: (iss) =>
          iss.code === 'unrecognized_keys'
            ? `unknown weekday ${iss.keys.map((k) => `"${k}"`).join(', ')}: use mon, tue, wed, thu, fri, sat, sun`
            : undefined,
      })
      .describe('Opening ranges per weekday (mon..sun); a day left out is closed'),
    closed: z
      .array(LocalDate)
      .default([])
      .describe('Local dates closed all day (00:00-24:00), including the previous night\'s overnight tail into them'),
    special: z
      .record(LocalDate, DayRanges, {
        // Without this the message would be zod's generic "Invalid key in record".
        error: (iss) => (iss.code === 'invalid_key' ? iss.issues[0]?.message : undefined),
      })
      .default({})
      .describe('Local dates with their own ranges instead of the weekday\'s (an empty list closes the day)'),
  })
  .describe("Opening hours in the campaign's time zone; outside them the offer is not made");

export type OpeningHours = z.output<typeof OpeningHoursSchema>;

interface LocalTime {
  /** YYYY-MM-DD */
  date: string;
  minutes: number;
}

function localTime(timeZone: string, at: Date): LocalTime {
  const w = wallClock(at, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return { date: `${String(w.year).padStart(4, '0')}-${two(w.month)}-${two(w.day)}`, minutes: w.hour * 60 + w.minute };
}

// Calendar arithmetic on the local date itself, so no time zone can shift it.
function weekdayOf(date: string): Weekday {
  return WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;
}

function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function rangesFor(hours: OpeningHours, date: string): Minutes[] {
  return (hours.special[date] ?? hours.weekly[weekdayOf(date)] ?? []).map(parseRange);
}

/**
 * Whether the service is open at `at`, on the wall clock of `timeZone` (which must be
 * valid: see isTimeZone in src/time-zone.ts; an unknown zone throws a RangeError). A closure covers exactly
 * its own local date, so an overnight range starting on a closed date still has its tail
 * after midnight.
 */
export function isOpen(hours: OpeningHours, timeZone: string, at: Date): boolean {
  const { date, minutes } = localTime(timeZone, at);
  if (hours.closed.includes(date)) return false;
  const today = rangesFor(hours, date).some(({ start, end }) =>
    end > start ? minutes >= start && minutes < end : minutes >= start,
  );
  if (today) return true;
  return rangesFor(hours, dayBefore(date)).some(({ start, end }) => end <= start && minutes < end);
}

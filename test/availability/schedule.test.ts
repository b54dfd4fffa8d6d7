import { z } from 'zod';
import { OpeningHoursSchema, isOpen, type OpeningHours } from '../../src/availability/schedule';
import { isTimeZone } from '../../src/time-zone';

/**
 * Instants are written as local wall-clock time with the offset in force at that moment
 * (EDT -04:00, EST -05:00, ...), so each row reads as "this local time in this zone".
 */

function hours(input: unknown): OpeningHours {
  return OpeningHoursSchema.parse(input);
}

const everyDay = (...ranges: string[]) => ({
  weekly: { mon: ranges, tue: ranges, wed: ranges, thu: ranges, fri: ranges, sat: ranges, sun: ranges },
});

function messages(input: unknown): string[] {
  const result = OpeningHoursSchema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('isOpen across US daylight-saving changes (America/New_York)', () => {
  const tz = 'America/New_York';
  const day = hours(everyDay('08:00-20:00'));

  it.each([
    ['spring forward, 07:59 EDT', '2026-03-08T07:59-04:00', false],
    ['spring forward, 08:00 EDT', '2026-03-08T08:00-04:00', true],
    ['spring forward, 19:59 EDT', '2026-03-08T19:59-04:00', true],
    ['spring forward, 20:00 EDT', '2026-03-08T20:00-04:00', false],
    ['fall back, 07:59 EST', '2026-11-01T07:59-05:00', false],
    ['fall back, 08:00 EST', '2026-11-01T08:00-05:00', true],
    ['fall back, 19:59 EST', '2026-11-01T19:59-05:00', true],
    ['fall back, 20:00 EST', '2026-11-01T20:00-05:00', false],
  ])('08:00-20:00: %s -> %s', (_label, iso, expected) => {
    expect(isOpen(day, tz, new Date(iso))).toBe(expected);
  });

  it('checks the instants in UTC too (EDT is UTC-4, EST UTC-5)', () => {
    expect(isOpen(day, tz, new Date('2026-03-08T11:59Z'))).toBe(false);
    expect(isOpen(day, tz, new Date('2026-03-08T12:00Z'))).toBe(true);
    expect(isOpen(day, tz, new Date('2026-03-08T23:59Z'))).toBe(true);
    expect(isOpen(day, tz, new Date('2026-03-09T00:00Z'))).toBe(false);
    expect(isOpen(day, tz, new Date('2026-11-01T12:59Z'))).toBe(false);
    expect(isOpen(day, tz, new Date('2026-11-01T13:00Z'))).toBe(true);
    expect(isOpen(day, tz, new Date('2026-11-02T00:59Z'))).toBe(true);
    expect(isOpen(day, tz, new Date('2026-11-02T01:00Z'))).toBe(false);
  });

  it('covers both 01:30s of the fall-back day with 01:00-03:00', () => {
    const h = hours({ weekly: { sun: ['01:00-03:00'] } });
    expect(isOpen(h, tz, new Date('2026-11-01T00:59-04:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-11-01T01:00-04:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-11-01T01:30-04:00'))).toBe(true); // 05:30Z, first 01:30
    expect(isOpen(h, tz, new Date('2026-11-01T01:30-05:00'))).toBe(true); // 06:30Z, second 01:30
    expect(isOpen(h, tz, new Date('2026-11-01T02:59-05:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-11-01T03:00-05:00'))).toBe(false);
  });

  it('treats a fall-back range 01:00-02:00 as open for both passes through that hour', () => {
    const h = hours({ weekly: { sun: ['01:00-02:00'] } });
    expect(isOpen(h, tz, new Date('2026-11-01T01:59-04:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-11-01T01:00-05:00'))).toBe(true); // the next minute
    expect(isOpen(h, tz, new Date('2026-11-01T02:00-05:00'))).toBe(false);
  });

  it('never opens a range that lies in the spring-forward gap, and opens a range straddling it at 03:00', () => {
    const gap = hours({ weekly: { sun: ['02:00-03:00'] } });
    expect(isOpen(gap, tz, new Date('2026-03-08T01:59-05:00'))).toBe(false);
    expect(isOpen(gap, tz, new Date('2026-03-08T03:00-04:00'))).toBe(false); // the next minute
    const straddle = hours({ weekly: { sun: ['02:30-05:00'] } });
    expect(isOpen(straddle, tz, new Date('2026-03-08T01:59-05:00'))).toBe(false);
    expect(isOpen(straddle, tz, new Date('2026-03-08T03:00-04:00'))).toBe(true);
  });
});

describe('isOpen across UK daylight-saving changes (Europe/London)', () => {
  const tz = 'Europe/London';
  const day = hours(everyDay('08:00-20:00'));

  it.each([
    ['spring forward, 07:59 BST', '2026-03-29T06:59Z', false],
    ['spring forward, 08:00 BST', '2026-03-29T07:00Z', true],
    ['spring forward, 19:59 BST', '2026-03-29T18:59Z', true],
    ['spring forward, 20:00 BST', '2026-03-29T19:00Z', false],
    ['fall back, 07:59 GMT', '2026-10-25T07:59Z', false],
    ['fall back, 08:00 GMT', '2026-10-25T08:00Z', true],
    ['fall back, 19:59 GMT', '2026-10-25T19:59Z', true],
    ['fall back, 20:00 GMT', '2026-10-25T20:00Z', false],
  ])('08:00-20:00: %s -> %s', (_label, iso, expected) => {
    expect(isOpen(day, tz, new Date(iso))).toBe(expected);
  });

  it('jumps from 00:59 GMT to 02:00 BST and repeats 01:00-02:00 on the fall-back day', () => {
    const early = hours({ weekly: { sun: ['01:00-02:00'] } });
    expect(isOpen(early, tz, new Date('2026-03-29T00:59Z'))).toBe(false);
    expect(isOpen(early, tz, new Date('2026-03-29T01:00Z'))).toBe(false); // 02:00 BST
    expect(isOpen(early, tz, new Date('2026-10-25T00:30Z'))).toBe(true); // 01:30 BST
    expect(isOpen(early, tz, new Date('2026-10-25T01:30Z'))).toBe(true); // 01:30 GMT
    expect(isOpen(early, tz, new Date('2026-10-25T02:00Z'))).toBe(false);
  });
});

describe('isOpen at midnight', () => {
  const tz = 'UTC';

  it('opens 00:00-24:00 for exactly that day', () => {
    const h = hours({ weekly: { mon: ['00:00-24:00'] } });
    expect(isOpen(h, tz, new Date('2026-03-01T23:59Z'))).toBe(false); // Sunday
    expect(isOpen(h, tz, new Date('2026-03-02T00:00Z'))).toBe(true); // Monday
    expect(isOpen(h, tz, new Date('2026-03-02T12:00Z'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-03-02T23:59Z'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-03-03T00:00Z'))).toBe(false); // Tuesday
  });

  it('closes a range ending at 24:00 at midnight', () => {
    const h = hours({ weekly: { mon: ['20:00-24:00'] } });
    expect(isOpen(h, tz, new Date('2026-03-02T23:59Z'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-03-03T00:00Z'))).toBe(false);
  });

  it('counts seconds within the last minute as still open', () => {
    const h = hours({ weekly: { mon: ['08:00-20:00'] } });
    expect(isOpen(h, tz, new Date('2026-03-02T19:59:59.999Z'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-03-02T07:59:59.999Z'))).toBe(false);
  });

  it('is open all week with 00:00-24:00 every day', () => {
    const h = hours(everyDay('00:00-24:00'));
    for (let day = 1; day <= 7; day++) {
      expect(isOpen(h, tz, new Date(Date.UTC(2026, 2, day, 0, 0)))).toBe(true);
      expect(isOpen(h, tz, new Date(Date.UTC(2026, 2, day, 23, 59)))).toBe(true);
    }
  });
});

describe('isOpen with overnight ranges', () => {
  const h = hours({ weekly: { sat: ['22:00-02:00'] } });

  it.each([
    ['Sat 01:00 (no Friday range)', '2026-03-07T01:00Z', false],
    ['Sat 21:59', '2026-03-07T21:59Z', false],
    ['Sat 22:00', '2026-03-07T22:00Z', true],
    ['Sat 23:00', '2026-03-07T23:00Z', true],
    ['Sun 00:00', '2026-03-08T00:00Z', true],
    ['Sun 01:59', '2026-03-08T01:59Z', true],
    ['Sun 02:00', '2026-03-08T02:00Z', false],
    ['Sun 22:30', '2026-03-08T22:30Z', false],
  ])('22:00-02:00 on Saturday (UTC): %s -> %s', (_label, iso, expected) => {
    expect(isOpen(h, 'UTC', new Date(iso))).toBe(expected);
  });

  it('ends on the wall clock on the spring-forward night (America/New_York)', () => {
    const tz = 'America/New_York';
    expect(isOpen(h, tz, new Date('2026-03-07T23:00-05:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-03-08T01:59-05:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-03-08T03:00-04:00'))).toBe(false); // the next minute
  });

  it('ends on the wall clock on the fall-back night (America/New_York)', () => {
    const tz = 'America/New_York';
    expect(isOpen(h, tz, new Date('2026-10-31T22:00-04:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-11-01T01:30-04:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-11-01T01:59-05:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-11-01T02:00-05:00'))).toBe(false);
  });

  it('treats 22:00-00:00 as running to midnight', () => {
    const toMidnight = hours({ weekly: { sat: ['22:00-00:00'] } });
    expect(isOpen(toMidnight, 'UTC', new Date('2026-03-07T23:59Z'))).toBe(true);
    expect(isOpen(toMidnight, 'UTC', new Date('2026-03-08T00:00Z'))).toBe(false);
  });

  it('opens on Sunday morning from both the Saturday tail and a Sunday range', () => {
    const both = hours({ weekly: { sat: ['22:00-02:00'], sun: ['01:00-05:00'] } });
    expect(isOpen(both, 'UTC', new Date('2026-03-08T00:30Z'))).toBe(true);
    expect(isOpen(both, 'UTC', new Date('2026-03-08T04:59Z'))).toBe(true);
    expect(isOpen(both, 'UTC', new Date('2026-03-08T05:00Z'))).toBe(false);
  });
});

describe('isOpen with closures and special hours', () => {
  // America/Chicago in December is CST, UTC-6. 2026-12-24 is a Thursday.
  const tz = 'America/Chicago';

  it('closes a closed date all day, including the previous night\'s overnight tail into it', () => {
    const h = hours({ ...everyDay('08:00-20:00'), closed: ['2026-12-25'] });
    h.weekly.thu = ['08:00-20:00', '22:00-02:00'];
    expect(isOpen(h, tz, new Date('2026-12-24T23:00-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-12-24T23:59-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-12-25T00:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-25T01:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-25T10:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-25T23:59-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-26T10:00-06:00'))).toBe(true);
  });

  it('closes exactly the closed date: a closed day\'s overnight range still has its tail after midnight', () => {
    const h = hours({ weekly: { fri: ['22:00-02:00'] }, closed: ['2026-12-25'] });
    expect(isOpen(h, tz, new Date('2026-12-25T23:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-26T01:00-06:00'))).toBe(true);
  });

  it('uses special hours instead of the weekday\'s', () => {
    const h = hours({
      ...everyDay('08:00-20:00'),
      special: { '2026-12-24': ['08:00-12:00'], '2026-12-26': ['10:00-11:00'] },
    });
    expect(isOpen(h, tz, new Date('2026-12-24T11:59-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-12-24T12:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-24T15:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-26T09:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-26T10:30-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-12-23T15:00-06:00'))).toBe(true);
  });

  it('closes the day for an empty special list', () => {
    const h = hours({ ...everyDay('08:00-20:00'), special: { '2026-12-31': [] } });
    expect(isOpen(h, tz, new Date('2026-12-31T10:00-06:00'))).toBe(false);
    expect(isOpen(h, tz, new Date('2026-12-30T10:00-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2027-01-01T10:00-06:00'))).toBe(true);
  });

  it('takes the overnight tail from the previous date\'s special hours', () => {
    const h = hours({ special: { '2026-12-31': ['20:00-01:00'] }, weekly: {} });
    expect(isOpen(h, tz, new Date('2026-12-31T23:30-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2027-01-01T00:59-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2027-01-01T01:00-06:00'))).toBe(false);
  });

  it('keeps the previous night\'s tail on a day whose special list is empty (only a closure removes it)', () => {
    const h = hours({ weekly: { wed: ['22:00-02:00'] }, special: { '2026-12-24': [] } });
    expect(isOpen(h, tz, new Date('2026-12-24T01:00-06:00'))).toBe(true);
    expect(isOpen(h, tz, new Date('2026-12-24T10:00-06:00'))).toBe(false);
  });
});

describe('isOpen in zones far from UTC', () => {
  it('uses the local date in Pacific/Auckland (NZDT, UTC+13) while UTC is still on the day before', () => {
    const h = hours({ weekly: { mon: ['08:00-20:00'] } });
    // Monday 2026-03-02 08:00 in Auckland is Sunday 19:00 UTC.
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-01T18:59Z'))).toBe(false);
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-01T19:00Z'))).toBe(true);
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-02T06:59Z'))).toBe(true);
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-02T07:00Z'))).toBe(false);
    expect(isOpen(h, 'UTC', new Date('2026-03-01T19:00Z'))).toBe(false);
  });

  it('applies closures to the local date in Pacific/Auckland', () => {
    const h = hours({ ...everyDay('00:00-24:00'), closed: ['2026-03-02'] });
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-01T10:59Z'))).toBe(true); // Mar 1 23:59
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-01T11:00Z'))).toBe(false); // Mar 2 00:00
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-02T10:59Z'))).toBe(false);
    expect(isOpen(h, 'Pacific/Auckland', new Date('2026-03-02T11:00Z'))).toBe(true); // Mar 3 00:00
  });

  it('handles the half-hour offset of Asia/Kolkata (UTC+05:30)', () => {
    const h = hours({ weekly: { mon: ['00:00-01:00'] } });
    expect(isOpen(h, 'Asia/Kolkata', new Date('2026-03-01T18:29Z'))).toBe(false); // Sun 23:59
    expect(isOpen(h, 'Asia/Kolkata', new Date('2026-03-01T18:30Z'))).toBe(true); // Mon 00:00
    expect(isOpen(h, 'Asia/Kolkata', new Date('2026-03-01T19:29Z'))).toBe(true);
    expect(isOpen(h, 'Asia/Kolkata', new Date('2026-03-01T19:30Z'))).toBe(false);
  });

  it('handles the 45-minute offset of Pacific/Chatham (+13:45 in summer, +12:45 in winter)', () => {
    const h = hours({ weekly: { mon: ['08:00-20:00'] } });
    expect(isOpen(h, 'Pacific/Chatham', new Date('2026-03-02T07:59+13:45'))).toBe(false);
    expect(isOpen(h, 'Pacific/Chatham', new Date('2026-03-01T18:15Z'))).toBe(true); // Mon 08:00
    expect(isOpen(h, 'Pacific/Chatham', new Date('2026-07-05T19:14Z'))).toBe(false); // Mon 07:59
    expect(isOpen(h, 'Pacific/Chatham', new Date('2026-07-06T08:00+12:45'))).toBe(true);
    expect(isOpen(h, 'Pacific/Chatham', new Date('2026-07-06T20:00+12:45'))).toBe(false);
  });
});

describe('OpeningHoursSchema', () => {
  it('accepts the documented example and fills defaults', () => {
    const example = {
      weekly: { mon: ['08:00-20:00'], tue: ['08:00-12:00', '13:00-20:00'], sat: ['22:00-02:00'] },
      closed: ['2026-12-25', '2027-01-01'],
      special: { '2026-12-24': ['08:00-12:00'], '2026-12-31': [] },
    };
    expect(hours(example)).toEqual(example);
    expect(hours({ weekly: {} })).toEqual({ weekly: {}, closed: [], special: {} });
  });

  it.each(['8:00-20:00', '25:00-26:00', '12:60-13:00', '08:00-24:01', '24:00-02:00', '08:00 - 20:00', '0800-2000', ''])(
    'rejects the malformed range %j naming the expected form',
    (range) => {
      expect(messages({ weekly: { mon: [range] } })).toEqual([
        `weekly.mon.0: "${range}" must be a time range HH:MM-HH:MM (24-hour, e.g. 08:00-20:00; the end may be 24:00)`,
      ]);
    },
  );

  it('rejects a range that starts and ends at the same time', () => {
    expect(messages({ weekly: { tue: ['08:00-12:00', '09:00-09:00'] } })).toEqual([
      'weekly.tue.1: "09:00-09:00" starts and ends at the same time; use 00:00-24:00 for the whole day',
    ]);
    expect(messages({ weekly: { sun: ['00:00-00:00'] } })[0]).toMatch(/same time/);
  });

  it('rejects overlapping ranges on the same day, including an overnight range up to midnight', () => {
    expect(messages({ weekly: { wed: ['11:00-13:00', '08:00-12:00'] } })).toEqual([
      'weekly.wed: ranges "08:00-12:00" and "11:00-13:00" overlap',
    ]);
    expect(messages({ weekly: { fri: ['22:00-02:00', '23:00-23:30'] } })).toEqual([
      'weekly.fri: ranges "22:00-02:00" and "23:00-23:30" overlap',
    ]);
    expect(messages({ special: { '2026-12-24': ['08:00-12:00', '08:00-09:00'] }, weekly: {} })).toEqual([
      'special.2026-12-24: ranges "08:00-12:00" and "08:00-09:00" overlap',
    ]);
  });

  it('accepts touching ranges and an overnight tail beside an early range', () => {
    expect(() => hours({ weekly: { mon: ['08:00-12:00', '12:00-13:00'] } })).not.toThrow();
    expect(() => hours({ weekly: { mon: ['01:00-05:00', '22:00-02:00'] } })).not.toThrow();
  });

  it('rejects dates that do not exist', () => {
    expect(messages({ weekly: {}, closed: ['2026-02-30'] })).toEqual([
      'closed.0: "2026-02-30" must be a real calendar date YYYY-MM-DD',
    ]);
    expect(messages({ weekly: {}, special: { '2026-02-30': [] } })).toEqual([
      'special.2026-02-30: "2026-02-30" must be a real calendar date YYYY-MM-DD',
    ]);
    expect(messages({ weekly: {}, closed: ['2026-13-01', '26-12-25', '2026-12-25T00:00'] })).toHaveLength(3);
    expect(() => hours({ weekly: {}, closed: ['2028-02-29'] })).not.toThrow();
  });

  it('rejects an unknown weekday key, listing the valid ones', () => {
    expect(messages({ weekly: { monday: ['08:00-20:00'] } })).toEqual([
      'weekly: unknown weekday "monday": use mon, tue, wed, thu, fri, sat, sun',
    ]);
  });

  it('requires weekly and rejects unknown top-level keys', () => {
    expect(messages({})[0]).toMatch(/^weekly: /);
    expect(messages({ weekly: {}, holidays: [] })[0]).toMatch(/holidays/);
  });

  it('converts to JSON Schema with descriptions and the range pattern', () => {
    const json = JSON.stringify(z.toJSONSchema(OpeningHoursSchema, { io: 'input', unrepresentable: 'any' }));
    expect(json).toContain('a day left out is closed');
    expect(json).toContain('"pattern"');
    expect(json).toContain('"format":"date"');
  });
});

describe('isTimeZone', () => {
  it.each(['America/New_York', 'Europe/London', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'])('accepts %s', (tz) => {
    expect(isTimeZone(tz)).toBe(true);
  });

  it.each(['', 'Mars/Olympus', 'America/Springfield', 'not a zone', '+05:30', '-04:00'])('rejects %j', (tz) => {
    expect(isTimeZone(tz)).toBe(false);
  });

  it('makes isOpen throw for a zone it rejects', () => {
    expect(() => isOpen(hours({ weekly: {} }), 'Mars/Olympus', new Date())).toThrow(RangeError);
  });
});

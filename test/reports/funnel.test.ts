import { buildFunnelReport, funnelCsv, MAX_GROUP_ROWS, type FunnelReportOptions } from '../../src/reports/funnel';
import type { FunnelSlot } from '../../src/store/port';

/**
 * The report from the store's 15-minute UTC slots: regrouping into local days and hours
 * (whole-hour, half-hour and DST zones), rows without calls, rates and the CSV.
 */

function slot(at: string, counts: Partial<FunnelSlot> = {}): FunnelSlot {
  return {
    slot: new Date(at).toISOString(),
    campaignId: 'support',
    dnis: '+18005550100',
    calls: 1,
    offered: 0,
    notOffered: {},
    accepted: 0,
    declined: 0,
    textsSent: 0,
    textsDelivered: 0,
    textsFailed: 0,
    linksClicked: 0,
    recontacts: 0,
    linksPreviewed: 0,
    conversationsStarted: 0,
    conversationsResolved: 0,
    ...counts,
  };
}

function report(slots: FunnelSlot[], options: Partial<FunnelReportOptions> & Pick<FunnelReportOptions, 'from' | 'to'>) {
  return buildFunnelReport(slots, { by: 'day', timeZone: 'UTC', ...options });
}

const calls = (r: ReturnType<typeof report>) => Object.fromEntries(r.rows.map((row) => [row.key, row.calls]));

describe('by day', () => {
  const slots = [slot('2026-11-21T03:45:00Z', { calls: 2 }), slot('2026-11-21T05:00:00Z', { calls: 3 }), slot('2026-11-23T12:00:00Z')];

  it('in UTC: one row per date of the range, days without calls included, with zeros', () => {
    const r = report(slots, { from: '2026-11-20T00:00:00.000Z', to: '2026-11-24T00:00:00.000Z' });
    expect(calls(r)).toEqual({ '2026-11-20': 0, '2026-11-21': 5, '2026-11-22': 0, '2026-11-23': 1 });
    expect(r.rows.map((row) => row.start)).toEqual([
      '2026-11-20T00:00:00+00:00',
      '2026-11-21T00:00:00+00:00',
      '2026-11-22T00:00:00+00:00',
      '2026-11-23T00:00:00+00:00',
    ]);
    expect(r.rows[2]).toMatchObject({ calls: 0, offered: 0, textsSent: 0, rates: { acceptance: null, deflection: null } });
    expect(r.total.calls).toBe(6);
  });

  it('in New York: 03:45 UTC is still the evening before', () => {
    // Local midnights of 20 to 23 November (EST, UTC-5).
    const r = report(slots, { timeZone: 'America/New_York', from: '2026-11-20T05:00:00.000Z', to: '2026-11-24T05:00:00.000Z' });
    expect(calls(r)).toEqual({ '2026-11-20': 2, '2026-11-21': 3, '2026-11-22': 0, '2026-11-23': 1 });
    expect(r.rows[0]?.start).toBe('2026-11-20T00:00:00-05:00');
  });

  it('in Kolkata (UTC+05:30): the day turns at 18:30 UTC', () => {
    const r = report([slot('2026-11-21T18:15:00Z'), slot('2026-11-21T18:30:00Z', { calls: 4 })], {
      timeZone: 'Asia/Kolkata',
      from: '2026-11-20T18:30:00.000Z',
      to: '2026-11-22T18:30:00.000Z',
    });
    expect(calls(r)).toEqual({ '2026-11-21': 1, '2026-11-22': 4 });
    expect(r.rows.map((row) => row.start)).toEqual(['2026-11-21T00:00:00+05:30', '2026-11-22T00:00:00+05:30']);
  });

  it('the day the clocks go back holds 25 hours of calls, the day they go forward 23', () => {
    const fallBack = report(
      // 00:00 EDT, 23:45 EST: the first and last slots of 1 November in New York.
      [slot('2026-11-01T04:00:00Z'), slot('2026-11-02T04:45:00Z'), slot('2026-11-02T05:00:00Z')],
      { timeZone: 'America/New_York', from: '2026-11-01T04:00:00.000Z', to: '2026-11-03T05:00:00.000Z' },
    );
    expect(calls(fallBack)).toEqual({ '2026-11-01': 2, '2026-11-02': 1 });
    expect(fallBack.rows.map((row) => row.start)).toEqual(['2026-11-01T00:00:00-04:00', '2026-11-02T00:00:00-05:00']);

    const springForward = report(
      // 00:00 EST and 23:45 EDT on 8 March.
      [slot('2026-03-08T05:00:00Z'), slot('2026-03-09T03:45:00Z'), slot('2026-03-09T04:00:00Z')],
      { timeZone: 'America/New_York', from: '2026-03-08T05:00:00.000Z', to: '2026-03-10T04:00:00.000Z' },
    );
    expect(calls(springForward)).toEqual({ '2026-03-08': 2, '2026-03-09': 1 });
  });
});

describe('by hour', () => {
  it('in New York, the day the clocks go back has 25 rows: two 01:00 hours, told apart by their start', () => {
    const r = report(
      // 01:15 EDT, then 01:15 EST an hour later.
      [slot('2026-11-01T05:15:00Z'), slot('2026-11-01T06:15:00Z', { calls: 2 })],
      { by: 'hour', timeZone: 'America/New_York', from: '2026-11-01T04:00:00.000Z', to: '2026-11-02T05:00:00.000Z' },
    );
    expect(r.rows).toHaveLength(25);
    expect(r.rows.slice(0, 4).map((row) => [row.key, row.start, row.calls])).toEqual([
      ['2026-11-01T00:00', '2026-11-01T00:00:00-04:00', 0],
      ['2026-11-01T01:00', '2026-11-01T01:00:00-04:00', 1],
      ['2026-11-01T01:00', '2026-11-01T01:00:00-05:00', 2],
      ['2026-11-01T02:00', '2026-11-01T02:00:00-05:00', 0],
    ]);
    expect(r.rows[24]?.key).toBe('2026-11-01T23:00');
  });

  it('in New York, the day the clocks go forward has 23 rows and no 02:00', () => {
    const r = report([], { by: 'hour', timeZone: 'America/New_York', from: '2026-03-08T05:00:00.000Z', to: '2026-03-09T04:00:00.000Z' });
    expect(r.rows).toHaveLength(23);
    expect(r.rows.map((row) => row.key.slice(11))).toEqual(
      ['00', '01', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23'].map(
        (h) => `${h}:00`,
      ),
    );
  });

  it('in Kolkata, hours start at half past in UTC', () => {
    const r = report(
      [slot('2026-11-21T03:15:00Z'), slot('2026-11-21T03:30:00Z', { calls: 2 }), slot('2026-11-21T04:15:00Z', { calls: 3 })],
      { by: 'hour', timeZone: 'Asia/Kolkata', from: '2026-11-21T03:00:00.000Z', to: '2026-11-21T05:00:00.000Z' },
    );
    expect(r.rows.map((row) => [row.key, row.start, row.calls])).toEqual([
      ['2026-11-21T08:00', '2026-11-21T08:00:00+05:30', 1],
      ['2026-11-21T09:00', '2026-11-21T09:00:00+05:30', 5],
      ['2026-11-21T10:00', '2026-11-21T10:00:00+05:30', 0],
    ]);
  });

  it('in UTC, a whole day is 24 rows, even without a single call', () => {
    const r = report([], { by: 'hour', from: '2026-11-21T00:00:00.000Z', to: '2026-11-22T00:00:00.000Z' });
    expect(r.rows.map((row) => row.key)).toEqual(Array.from({ length: 24 }, (_, h) => `2026-11-21T${String(h).padStart(2, '0')}:00`));
    expect(r.total).toMatchObject({ key: 'total', calls: 0, rates: { acceptance: null, delivery: null, clickThrough: null, deflection: null } });
  });
});

describe('by campaign and by DNIS', () => {
  const slots = [
    slot('2026-11-21T09:00:00Z', { campaignId: 'support', dnis: '+18005550100', calls: 2 }),
    slot('2026-11-21T10:00:00Z', { campaignId: 'billing', dnis: '+18005550101', calls: 3 }),
    slot('2026-11-22T09:00:00Z', { campaignId: 'support', dnis: '+18005550102', calls: 4 }),
    slot('2026-11-22T11:00:00Z', { campaignId: null, dnis: '+18005550199', notOffered: { 'unknown-dnis': 1 } }),
    slot('2026-11-22T12:00:00Z', { campaignId: null, dnis: '', notOffered: { 'missing-dnis': 1 } }),
  ];
  const range = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

  it('one row per campaign seen, in name order; calls without a campaign under "(none)"', () => {
    const r = report(slots, { by: 'campaign', ...range });
    expect(r.rows.map((row) => [row.key, row.start, row.calls])).toEqual([
      ['(none)', null, 2],
      ['billing', null, 3],
      ['support', null, 6],
    ]);
  });

  it('one row per DNIS a campaign answered; numbers no campaign has, and calls without one, in one "(other)" row, last', () => {
    const r = report(slots, { by: 'dnis', ...range });
    expect(r.rows.map((row) => [row.key, row.calls])).toEqual([
      ['+18005550100', 2],
      ['+18005550101', 3],
      ['+18005550102', 4],
      ['(other)', 2],
    ]);
    expect(r.rowsFolded).toBe(0);
  });

  it('220,000 made-up DNIS make one "(other)" row, not 220,000', () => {
    const made = Array.from({ length: 220_000 }, (_, i) => slot('2026-11-21T09:00:00Z', { campaignId: null, dnis: `+1800${String(i).padStart(7, '0')}` }));
    const r = report([...slots, ...made], { by: 'dnis', ...range });
    expect(r.rows.map((row) => row.key)).toEqual(['+18005550100', '+18005550101', '+18005550102', '(other)']);
    expect(r.rows.at(-1)?.calls).toBe(220_002);
    expect(r.total.calls).toBe(220_011);
  });

  it(`keeps at most ${MAX_GROUP_ROWS} rows: the ones with the most calls, the rest folded into "(other)" and counted`, () => {
    const many = Array.from({ length: 500 }, (_, i) => slot('2026-11-21T09:00:00Z', { campaignId: 'support', dnis: `+1800${String(i).padStart(7, '0')}`, calls: i + 1 }));
    const r = report(many, { by: 'dnis', ...range });
    expect(r.rows).toHaveLength(MAX_GROUP_ROWS);
    expect(r.rowsFolded).toBe(500 - (MAX_GROUP_ROWS - 1));
    expect(r.rows.at(-1)).toMatchObject({ key: '(other)', calls: ((500 - MAX_GROUP_ROWS + 1) * (500 - MAX_GROUP_ROWS + 2)) / 2 });
    expect(r.rows[0]?.calls).toBe(500 - MAX_GROUP_ROWS + 2);
    expect(r.rows.reduce((n, row) => n + row.calls, 0)).toBe(r.total.calls);
  });
});

describe('counts and rates', () => {
  const slots = [
    slot('2026-11-21T09:00:00Z', {
      calls: 10,
      offered: 6,
      notOffered: { 'outside-hours': 3, 'not-available': 1 },
      accepted: 3,
      declined: 2,
      textsSent: 3,
      textsDelivered: 2,
      textsFailed: 1,
      linksClicked: 1,
    }),
    slot('2026-11-22T09:00:00Z', { calls: 2, notOffered: { 'campaign-cap': 2 } }),
  ];
  const r = report(slots, { from: '2026-11-21T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });

  it('rates are shares rounded to 4 decimals, null when nothing to divide by', () => {
    expect(r.rows[0]?.rates).toEqual({ acceptance: 0.5, delivery: 0.6667, clickThrough: 0.3333, deflection: 0.3 });
    expect(r.rows[1]?.rates).toEqual({ acceptance: null, delivery: null, clickThrough: null, deflection: 0 });
    expect(r.total.rates).toEqual({ acceptance: 0.5, delivery: 0.6667, clickThrough: 0.3333, deflection: 0.25 });
  });

  it('every row lists every reason of the report, in name order, with zeros', () => {
    expect(r.rows.map((row) => row.notOffered)).toEqual([
      { 'campaign-cap': 0, 'not-available': 1, 'outside-hours': 3 },
      { 'campaign-cap': 2, 'not-available': 0, 'outside-hours': 0 },
    ]);
    expect(Object.keys(r.rows[0]?.notOffered ?? {})).toEqual(['campaign-cap', 'not-available', 'outside-hours']);
    expect(r.total).toMatchObject({ calls: 12, offered: 6, notOffered: { 'campaign-cap': 2, 'not-available': 1, 'outside-hours': 3 } });
  });

  it('echoes the options', () => {
    expect(r).toMatchObject({ by: 'day', timeZone: 'UTC', from: '2026-11-21T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
  });
});

describe('funnelCsv', () => {
  it('has one column per count, reason and rate; empty cells for rates without a denominator', () => {
    const r = report(
      [
        slot('2026-11-21T09:00:00Z', { calls: 4, offered: 2, notOffered: { 'outside-hours': 2 }, accepted: 1, textsSent: 1, linksClicked: 1, linksPreviewed: 1, recontacts: 1, conversationsStarted: 1, conversationsResolved: 1 }),
        slot('2026-11-21T10:00:00Z', { notOffered: { 'campaign-cap': 1 } }),
      ],
      { from: '2026-11-21T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' },
    );
    const lines = funnelCsv(r).split('\r\n');
    expect(lines[0]).toBe(
      'day,start,calls,offered,not_offered,not_offered:campaign-cap,not_offered:outside-hours,accepted,declined,' +
        'texts_sent,texts_delivered,texts_failed,links_clicked,links_previewed,acceptance_rate,delivery_rate,click_through_rate,deflection_rate,recontacts,' +
        'conversations_started,conversations_resolved',
    );
    expect(lines.slice(1)).toEqual([
      '2026-11-21,2026-11-21T00:00:00+00:00,5,2,3,1,2,1,0,1,0,0,1,1,0.5,0,1,0.2,1,1,1',
      '2026-11-22,2026-11-22T00:00:00+00:00,0,0,0,0,0,0,0,0,0,0,0,0,,,,,0,0,0',
      '',
    ]);
  });

  it('by campaign has no start column; a DNIS keeps its "+" as text (the CSV module\'s rule)', () => {
    const slots = [slot('2026-11-21T09:00:00Z')];
    const range = { from: '2026-11-21T00:00:00.000Z', to: '2026-11-22T00:00:00.000Z' };
    expect(funnelCsv(report(slots, { by: 'campaign', ...range })).split('\r\n')[0]).toMatch(/^campaign,calls,offered,not_offered,accepted,/);
    expect(funnelCsv(report(slots, { by: 'dnis', ...range })).split('\r\n')[1]).toMatch(/^'\+18005550100,1,/);
  });
});

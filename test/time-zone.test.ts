import { startOfLocalDay } from '../src/time-zone';

describe("startOfLocalDay: where a campaign's daily cap starts counting", () => {
  it.each([
    ['UTC', 'UTC', '2026-11-21T20:00:00Z', '2026-11-21T00:00:00.000Z'],
    ['New York in winter (UTC-5)', 'America/New_York', '2026-11-24T20:00:00Z', '2026-11-24T05:00:00.000Z'],
    ['New York just before local midnight', 'America/New_York', '2026-11-25T04:59:59Z', '2026-11-24T05:00:00.000Z'],
    ['New York at local midnight', 'America/New_York', '2026-11-25T05:00:00Z', '2026-11-25T05:00:00.000Z'],
    ['New York, spring-forward day (midnight was still EST)', 'America/New_York', '2026-03-08T15:00:00Z', '2026-03-08T05:00:00.000Z'],
    ['New York, fall-back day (midnight was still EDT)', 'America/New_York', '2026-11-01T12:00:00Z', '2026-11-01T04:00:00.000Z'],
    ['Kolkata (UTC+5:30)', 'Asia/Kolkata', '2026-11-21T20:00:00Z', '2026-11-21T18:30:00.000Z'],
    ['Auckland (UTC+13 in summer), local date ahead of UTC', 'Pacific/Auckland', '2026-11-21T20:00:00Z', '2026-11-21T11:00:00.000Z'],
    ['Chatham (UTC+13:45)', 'Pacific/Chatham', '2026-11-21T20:00:00Z', '2026-11-21T10:15:00.000Z'],
  ])('%s', (_what, zone, at, midnight) => {
    expect(startOfLocalDay(new Date(at), zone).toISOString()).toBe(midnight);
  });
});

import { detailText, MAX_DETAIL_CHARS } from '../../src/audit/detail';
import { diff, maskValue } from '../../src/audit/diff';

/** What an auditor reads of a change: the paths that changed, and nothing a reader of the trail may not see. */

describe('diff', () => {
  it('lists changed, added and removed paths as JSON pointers, escaping ~ and /', () => {
    expect(diff({ a: 1, b: { c: 'x', 'd/e~f': 1 }, gone: true }, { a: 1, b: { c: 'y', 'd/e~f': 2 }, added: 'z' })).toEqual([
      { path: '/added', new: 'z' },
      { path: '/b/c', old: 'x', new: 'y' },
      { path: '/b/d~1e~0f', old: 1, new: 2 },
      { path: '/gone', old: true },
    ]);
  });

  it('compares lists whole and finds no change in an identical document', () => {
    expect(diff({ keys: ['1', '2'] }, { keys: ['2', '1'] })).toEqual([{ path: '/keys', old: ['1', '2'], new: ['2', '1'] }]);
    expect(diff({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });

  it('masks phone numbers in any format and redacts secret-named settings, keeping DTMF keys', () => {
    expect(diff({}, { dnis: ['+1 800 555 0100', 'tel:+448001234567'], ownNumbers: ['(617) 555-1234'] })).toEqual([
      { path: '/dnis', new: ['+* *** *** 0100', 'tel:+********4567'] },
      { path: '/ownNumbers', new: ['(***) ***-1234'] },
    ]);
    expect(diff({ chat: { apiKey: 'old-secret' } }, { chat: { apiKey: 'new-secret' } })).toEqual([{ path: '/chat/apiKey', old: '[redacted]', new: '[redacted]' }]);
    expect(maskValue({ webhookSecret: 's3cr3t', acceptKey: '1', message: 'Call 2 me' })).toEqual({ webhookSecret: '[redacted]', acceptKey: '1', message: 'Call 2 me' });
  });
});

describe('detailText', () => {
  it('is canonical JSON: the same detail in any key order is the same text', () => {
    expect(detailText({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(detailText({})).toBeNull();
    expect(detailText(undefined)).toBeNull();
  });

  it('cuts long strings and lists, and stays within its bound whatever it is given', () => {
    const long = JSON.parse(detailText({ reason: 'x'.repeat(10_000), list: Array.from({ length: 80 }, (_, i) => i) }) as string);
    expect(long.reason).toMatch(/^x{500}… \(10000 characters\)$/);
    expect(long.list).toHaveLength(51);
    expect(long.list.at(-1)).toBe('… 30 more');
    const huge = detailText({ changes: Array.from({ length: 50 }, () => ({ path: '/x', new: 'y'.repeat(500) })) }) as string;
    expect(huge.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS);
    expect(JSON.parse(huge)).toMatchObject({ truncated: true });
  });
});

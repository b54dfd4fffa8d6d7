import { newCallId } from '../src/ids';

describe('call ids', () => {
  it('are 128 bits of base64url, never the same twice, across many refills of the random pool', () => {
    const ids = Array.from({ length: 5_000 }, () => newCallId()); // about 20 refills of the 4 KB pool
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('use every bit: each of the 22 characters takes many values over many ids', () => {
    const ids = Array.from({ length: 2_000 }, () => newCallId());
    for (let position = 0; position < 21; position++) {
      // The last character holds 2 bits (4 values); the others 6 (64 values).
      expect(new Set(ids.map((id) => id[position])).size).toBeGreaterThan(50);
    }
    expect(new Set(ids.map((id) => id[21])).size).toBe(4);
  });
});

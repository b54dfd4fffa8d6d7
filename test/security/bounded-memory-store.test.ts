import type { Options } from 'express-rate-limit';
import { BoundedMemoryStore } from '../../src/http/security/bounded-memory-store';

/** The sign-in limiters' memory: at most maxKeys clients, whatever a flood of new keys does. */
describe('BoundedMemoryStore', () => {
  let now = 0;
  const store = (maxKeys: number) => {
    const s = new BoundedMemoryStore(maxKeys, () => now);
    s.init({ windowMs: 1000 } as Options);
    return s;
  };
  beforeEach(() => {
    now = 0;
  });

  it('counts hits per key within a window, and starts again after it', () => {
    const s = store(10);
    expect(s.increment('a').totalHits).toBe(1);
    expect(s.increment('a').totalHits).toBe(2);
    s.decrement('a');
    expect(s.get('a')?.totalHits).toBe(1);
    now = 1000;
    expect(s.increment('a')).toEqual({ totalHits: 1, resetTime: new Date(2000) });
  });

  it('keeps at most maxKeys clients under a flood of new keys, dropping the oldest', () => {
    const s = store(100);
    for (let i = 0; i < 100_000; i += 1) s.increment(`203.0.113.5 name-${i}`);
    expect(s.size).toBe(100);
    expect(s.get('203.0.113.5 name-0')).toBeUndefined();
    expect(s.get('203.0.113.5 name-99999')?.totalHits).toBe(1);
  });

  it('drops expired windows before live ones when full', () => {
    const s = store(2);
    s.increment('old');
    now = 600;
    s.increment('live');
    now = 1200;
    s.increment('new');
    expect(s.get('old')).toBeUndefined();
    expect(s.get('live')?.totalHits).toBe(1);
    expect(s.size).toBe(2);
  });
});

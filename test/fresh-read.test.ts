import { FreshRead } from '../src/fresh-read';

/** A read the test finishes by hand: which reads started, and with which value each ends. */
function manualReads() {
  const started: Array<{ resolve: (value: number) => void; reject: (error: Error) => void }> = [];
  const read = () =>
    new Promise<number>((resolve, reject) => {
      started.push({ resolve, reject });
    });
  return { started, read };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FreshRead: concurrent callers share one read that began after they asked', () => {
  it('callers arriving while a read is in flight get the next read, not the one in flight, and share it', async () => {
    const { started, read } = manualReads();
    const fresh = new FreshRead(read);
    const first = fresh.get();
    expect(started).toHaveLength(1);
    // The stored value changes now (say, a campaign switched off); these callers ask after it.
    const later = [fresh.get(), fresh.get(), fresh.get()];
    expect(started).toHaveLength(1);
    started[0]!.resolve(1); // the read that began before the change: the old value
    await settle();
    expect(started).toHaveLength(2);
    started[1]!.resolve(2);
    expect(await first).toBe(1);
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
  });

  it('a caller with no read in flight starts its own at once', async () => {
    const { started, read } = manualReads();
    const fresh = new FreshRead(read);
    const one = fresh.get();
    started[0]!.resolve(1);
    expect(await one).toBe(1);
    const two = fresh.get();
    expect(started).toHaveLength(2);
    started[1]!.resolve(2);
    expect(await two).toBe(2);
  });

  it('a failed read fails its callers only; those waiting for the next read get it', async () => {
    const { started, read } = manualReads();
    const fresh = new FreshRead(read);
    const first = fresh.get();
    const waiting = fresh.get();
    started[0]!.reject(new Error('database gone'));
    await expect(first).rejects.toThrow('database gone');
    await settle();
    started[1]!.resolve(7);
    expect(await waiting).toBe(7);
  });
});

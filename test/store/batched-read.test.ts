import { BatchedRead } from '../../src/store/batched-read';

/** Reads recorded as they are sent; each answers every key with "value of <key>". */
function recordingReader() {
  const reads: string[][] = [];
  const reader = new BatchedRead<string, string>(async (keys) => {
    reads.push([...keys]);
    return (key) => `value of ${key}`;
  }, 3);
  return { reads, reader };
}

describe('BatchedRead (gathered reads for the PostgreSQL store)', () => {
  it('reads the keys asked for in one event-loop turn in one read, and answers each asker its own', async () => {
    const { reads, reader } = recordingReader();
    const answers = await Promise.all([reader.get('a'), reader.get('b'), reader.get('c')]);
    expect(answers).toEqual(['value of a', 'value of b', 'value of c']);
    expect(reads).toEqual([['a', 'b', 'c']]);
  });

  it('never answers a key from a read that was sent before it was asked for', async () => {
    const reads: string[][] = [];
    let late: Promise<string> | undefined;
    const reader = new BatchedRead<string, string>(async (keys) => {
      reads.push([...keys]);
      // Asked while this read is already on its way: it must wait for a read of its own.
      if (!late) late = reader.get('late');
      return (key) => `${key} from read ${reads.length}`;
    });
    expect(await reader.get('early')).toBe('early from read 1');
    expect(await late).toBe('late from read 2');
    expect(reads).toEqual([['early'], ['late']]);
  });

  it('splits a large turn into reads of at most maxKeys keys', async () => {
    const { reads, reader } = recordingReader();
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => reader.get(k)));
    expect(reads).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('fails every asker of a read that failed, and the next turn reads again', async () => {
    let fail = true;
    const reader = new BatchedRead<string, string>(async () => {
      if (fail) throw new Error('connection lost');
      return (key) => key;
    });
    const failed = await Promise.allSettled([reader.get('a'), reader.get('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await reader.get('c')).toBe('c');
  });

  describe('gathered until a connection is in hand (connect)', () => {
    /** A pool of one connection that the test hands out by hand: connect() waits until give(). */
    function handPool() {
      const pending: Array<(c: { id: number; release: (e?: unknown) => void }) => void> = [];
      const released: Array<{ id: number; error: unknown }> = [];
      let next = 0;
      return {
        released,
        connect: () =>
          new Promise<{ id: number; release: (e?: unknown) => void }>((resolve) => {
            pending.push(resolve);
          }),
        waitingForConnection: () => pending.length,
        give: () => {
          const id = ++next;
          pending.shift()!({ id, release: (error?: unknown) => released.push({ id, error }) });
        },
      };
    }
    const turn = () => new Promise((r) => setImmediate(r));

    it('lets askers who come while the batch waits for a connection join it: one statement for all', async () => {
      const pool = handPool();
      const reads: Array<{ keys: string[]; on: number }> = [];
      const reader = new BatchedRead<string, string, { id: number; release: (e?: unknown) => void }>(
        async (keys, connection) => {
          reads.push({ keys: [...keys], on: connection.id });
          return (key) => `value of ${key}`;
        },
        100,
        pool.connect,
      );
      const first = reader.get('a');
      await turn();
      // The pool is busy: the batch waits; two more askers come in later turns.
      expect(pool.waitingForConnection()).toBe(1);
      const later = [reader.get('b'), reader.get('c')];
      await turn();
      expect(pool.waitingForConnection()).toBe(1);
      pool.give();
      expect(await Promise.all([first, ...later])).toEqual(['value of a', 'value of b', 'value of c']);
      expect(reads).toEqual([{ keys: ['a', 'b', 'c'], on: 1 }]);
      await turn();
      expect(pool.released).toEqual([{ id: 1, error: undefined }]);
    });

    it('sends an asker who came after the statement went in a batch of its own', async () => {
      const pool = handPool();
      const reads: string[][] = [];
      let late: Promise<string> | undefined;
      const reader = new BatchedRead<string, string, { id: number; release: (e?: unknown) => void }>(
        async (keys) => {
          reads.push([...keys]);
          if (!late) late = reader.get('late');
          return (key) => `${key} from read ${reads.length}`;
        },
        100,
        pool.connect,
      );
      const early = reader.get('early');
      await turn();
      pool.give();
      expect(await early).toBe('early from read 1');
      await turn();
      pool.give();
      expect(await late).toBe('late from read 2');
      expect(reads).toEqual([['early'], ['late']]);
    });

    it('fails everyone waiting when no connection comes, and hands a broken connection back with its error', async () => {
      let refuse = true;
      const released: unknown[] = [];
      const reader = new BatchedRead<string, string, { release: (e?: unknown) => void }>(
        async (keys) => {
          if (keys.includes('bad')) throw new Error('statement failed');
          return (key) => key;
        },
        100,
        async () => {
          if (refuse) throw new Error('timeout exceeded when trying to connect');
          return { release: (error?: unknown) => released.push(error) };
        },
      );
      const refused = await Promise.allSettled([reader.get('a'), reader.get('b')]);
      expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      refuse = false;
      await expect(reader.get('bad')).rejects.toThrow('statement failed');
      expect(await reader.get('c')).toBe('c');
      await turn();
      expect(released).toEqual([expect.objectContaining({ message: 'statement failed' }), undefined]);
    });
  });
});

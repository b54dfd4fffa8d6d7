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
});

/** What untilAborted answers when the caller stopped waiting (or the shared work failed). */
export const ABORTED = Symbol('aborted');

/**
 * Waits for work that others may share (a Domain API lookup, a token fetch) until the
 * caller's signal aborts: the work goes on for the others, this caller stops waiting.
 * Never rejects: work that fails answers ABORTED, so a check answers rather than throws.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const stop = () => resolve(ABORTED);
    signal.addEventListener('abort', stop, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', stop);
        resolve(value);
      },
      () => {
        signal.removeEventListener('abort', stop);
        resolve(ABORTED);
      },
    );
  });
}

import type { AvailabilityAnswer, AvailabilityCheck, AvailabilityRequest } from './port';

/**
 * Reuses a remote check's answer for other calls for cacheSeconds: busy lines make many
 * calls a second, and agent staffing does not change that fast. Errors are cached too, so
 * a dead endpoint costs one caller the full timeout, not every caller.
 *
 * Never cached: an available answer with a chat URL (LivePerson's urlToChat opens one
 * conversation, for one caller), and an answer cut short by the caller's own signal (that
 * says nothing about the endpoint).
 */
export class CachedAvailability implements AvailabilityCheck {
  private last: { answer: AvailabilityAnswer; until: number } | undefined;

  constructor(
    private readonly inner: AvailabilityCheck,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async check(request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer> {
    const last = this.last;
    if (last && this.now() < last.until) return { ...last.answer };

    const answer = await this.inner.check(request, signal);
    if (this.cacheSeconds > 0 && !signal.aborted && !(answer.kind === 'available' && answer.chatUrl)) {
      this.last = { answer: { ...answer }, until: this.now() + this.cacheSeconds * 1000 };
    }
    return answer;
  }
}

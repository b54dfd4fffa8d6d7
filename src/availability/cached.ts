import { FixedWindowBudget } from '../fixed-window-budget';
import type { AvailabilityAnswer, AvailabilityCheck, AvailabilityRequest } from './port';

/**
 * Reuses a remote check's answer for other calls for cacheSeconds: busy lines make many
 * calls a second, and agent staffing does not change that fast. Errors are cached too, so
 * a dead endpoint costs one caller the full timeout, not every caller.
 *
 * Never cached: an available answer with a chat URL (LivePerson's urlToChat opens one
 * conversation, for one caller), and an answer cut short by the caller's own signal (that
 * says nothing about the endpoint).
 *
 * Because such answers are never reused, every anonymous start could open an engagement
 * at the chat vendor. So the remote checks themselves have a budget per clock minute
 * (one counter, constant memory): past it the answer is an error saying so, and the
 * campaign's onError decides (offer with the campaign link, or hand back), recorded with
 * that reason like any failed check.
 */
export class CachedAvailability implements AvailabilityCheck {
  private last: { answer: AvailabilityAnswer; until: number } | undefined;
  private readonly budget: FixedWindowBudget;

  constructor(
    private readonly inner: AvailabilityCheck,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
    checksPerMinute: number = Number.POSITIVE_INFINITY,
  ) {
    this.budget = new FixedWindowBudget(checksPerMinute, 60_000, now);
  }

  async check(request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer> {
    const last = this.last;
    if (last && this.now() < last.until) return { ...last.answer };
    if (!this.budget.take()) {
      return { kind: 'error', detail: `availability check budget spent (${this.budget.max} per minute)` };
    }

    const answer = await this.inner.check(request, signal);
    if (this.cacheSeconds > 0 && !signal.aborted && !(answer.kind === 'available' && answer.chatUrl)) {
      this.last = { answer: { ...answer }, until: this.now() + this.cacheSeconds * 1000 };
    }
    return answer;
  }
}

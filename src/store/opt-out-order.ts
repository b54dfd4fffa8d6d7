import type { OptOutChange } from './port';

/**
 * Whether a texted STOP or START comes after the latest change already made to the number.
 * Times are ISO strings (toISOString), so they order as text. A tie goes to STOP: of two
 * changes in the same instant, the one that keeps a person from being texted wins.
 */
export function isLaterChange(change: Pick<OptOutChange, 'at' | 'change'>, latest: string): boolean {
  return change.at > latest || (change.at === latest && change.change === 'stop');
}

import type { ErasureOutcome, NumberKey, Store } from '../store/port';
import { numberForms } from './number-forms';

/**
 * Erases one number (E.164) everywhere the store holds it, keeping on the opt-out list
 * only its key, so the number stays opted out. The store does it in one transaction and
 * refuses it, changing nothing, under a legal hold.
 */
export function eraseNumber(store: Store, numberKey: NumberKey, e164: string): Promise<ErasureOutcome> {
  return store.eraseNumber({ forms: numberForms(e164), suppressionKey: numberKey(e164) });
}

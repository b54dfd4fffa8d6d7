import type { NewCall } from '../../src/store/port';

/** A call as a start stores it, offered, for store tests: each overrides what it looks at. */
export function newCall(id: string, overrides: Partial<NewCall> = {}): NewCall {
  return {
    id,
    campaignId: 'support',
    mode: 'goto',
    dnis: '+18005550100',
    ani: '+16175559876',
    platformCallId: `cvp-${id}`,
    state: 'offered',
    result: null,
    lastPage: null,
    createdAt: '2026-12-01T10:00:00.000Z',
    expiresAt: '2026-12-01T11:00:00.000Z',
    ...overrides,
  };
}

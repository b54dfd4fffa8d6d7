import { randomBase62 } from '../ids';
import type { Store } from '../store/port';
import type { Shortener } from './port';

/** 62^8 ≈ 2.2e14 codes: guessing a live one by brute force is not practical. */
export const SHORT_CODE_LENGTH = 8;
export const SHORT_CODE_PATTERN = /^[0-9A-Za-z]{7,16}$/;

/** Short links served by this app at {PUBLIC_BASE_URL}/s/{code}, stored in the store. */
export class BuiltinShortener implements Shortener {
  constructor(
    private readonly store: Store,
    private readonly publicBaseUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async shorten(target: string, context: { callId: string; campaignId: string; expiresAt: string | null }): Promise<string> {
    // A collision is astronomically unlikely; drawing again keeps it harmless anyway.
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = randomBase62(SHORT_CODE_LENGTH);
      const created = await this.store.createShortLink({
        code,
        target,
        callId: context.callId,
        campaignId: context.campaignId,
        expiresAt: context.expiresAt,
        createdAt: this.now().toISOString(),
      });
      if (created) return `${this.publicBaseUrl}/s/${code}`;
    }
    throw new Error('could not draw a free short-link code');
  }
}

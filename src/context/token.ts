import { lazyModule } from '../lazy-module';

/** jose, loaded at the first token (src/lazy-module.ts): a server without CONTEXT_TOKEN_SECRET never loads it. */
const jose = lazyModule(() => import('jose'));

/**
 * The context token in a texted link ({contextToken}, README "Context for the agent"): a
 * compact JWS, HS256 with CONTEXT_TOKEN_SECRET, whose payload is the call id (sub) and
 * the expiry (exp) and nothing else. The call id is random and says nothing about the
 * caller; the context itself stays in the store, behind the authenticated API.
 *
 * Verification pins the algorithm (HS256 only: "none" and every other alg are refused
 * before the signature is looked at) and checks exp against the injected clock.
 */
export const CONTEXT_TOKEN_ALG = 'HS256';

export class ContextTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A token for this call, valid ttlSeconds from now. */
  async sign(callId: string): Promise<string> {
    const { SignJWT } = await jose();
    const exp = Math.floor(this.now().getTime() / 1000) + this.ttlSeconds;
    return new SignJWT({}).setProtectedHeader({ alg: CONTEXT_TOKEN_ALG }).setSubject(callId).setExpirationTime(exp).sign(this.key);
  }

  /**
   * For a conversation outcome: the call id of a genuine token expired no more than
   * graceSeconds ago (a conversation can end long after its link expired), or why not:
   * 'expired' past the grace, 'invalid' for anything else (forged, another key or alg,
   * malformed). Never throws.
   */
  async verifyWithGrace(token: string, graceSeconds: number): Promise<{ callId: string } | { problem: 'expired' | 'invalid' }> {
    const { jwtVerify } = await jose();
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [CONTEXT_TOKEN_ALG],
        currentDate: this.now(),
        requiredClaims: ['sub', 'exp'],
        clockTolerance: graceSeconds,
      });
      return typeof payload.sub === 'string' && payload.sub ? { callId: payload.sub } : { problem: 'invalid' };
    } catch (err) {
      return { problem: (err as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' };
    }
  }

  /** The call id a genuine, unexpired token names; undefined for anything else (never throws). */
  async verify(token: string): Promise<string | undefined> {
    const { jwtVerify } = await jose();
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [CONTEXT_TOKEN_ALG],
        currentDate: this.now(),
        requiredClaims: ['sub', 'exp'],
        // No clock tolerance: a link past its expiry is expired.
        clockTolerance: 0,
      });
      return typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  }
}

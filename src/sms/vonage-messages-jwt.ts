import { createHash, createPrivateKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { lazyModule } from '../lazy-module';
import { safeEqual } from './callback-parsing';

/** jose, loaded at the first token (src/lazy-module.ts): only the Vonage Messages gateway uses it here. */
const jose = lazyModule(() => import('jose'));

/**
 * The two JWTs of the Vonage Messages API.
 *
 * Ours, on every request: RS256, signed with the Vonage application's private key, with the
 * claims Vonage documents (https://developer.vonage.com/en/getting-started/concepts/authentication#json-web-tokens):
 * application_id, iat, jti (unique per token), exp.
 *
 * Vonage's, on every webhook (https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks,
 * https://developer.vonage.com/en/messages/concepts/signed-webhooks): "Authorization: Bearer <JWT>",
 * HS256 with the account's signature secret; its payload_hash claim is the SHA-256 (hex)
 * of the body, and iat says when it was signed.
 */

/** How long our token lives: one request's worth, with room for a slow network. */
const TOKEN_LIFETIME_S = 5 * 60;

/** A webhook signed longer ago than this is refused (a replay); Vonage signs as it sends. */
export const WEBHOOK_MAX_AGE_S = 5 * 60;
/** Clocks differ: a token "from the future" by less than this is still taken. */
const CLOCK_SKEW_S = 60;

export class VonageApplicationSigner {
  private readonly key: KeyObject;

  constructor(
    private readonly applicationId: string,
    privateKeyPem: string,
  ) {
    this.key = createPrivateKey(privateKeyPem);
  }

  /** A fresh token for one request. */
  async sign(now: Date): Promise<string> {
    const { SignJWT } = await jose();
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ application_id: this.applicationId })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setJti(randomUUID())
      .setExpirationTime(iat + TOKEN_LIFETIME_S)
      .sign(this.key);
  }
}

export type WebhookCheck = { ok: true } | { ok: false; error: string };

/**
 * Whether a webhook carries Vonage's signature over exactly this body, signed recently.
 * Never throws: a malformed token is a refusal like any other.
 */
export async function verifyVonageWebhook(
  authorization: string | undefined,
  rawBody: string,
  signatureSecret: string,
  now: Date,
): Promise<WebhookCheck> {
  const token = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) return { ok: false, error: 'Authorization: Bearer <JWT> is missing or malformed' };
  const { decodeProtectedHeader, errors, jwtVerify } = await jose();
  try {
    // Only HS256: a token that names another algorithm (none, RS256 with our secret as a
    // "public key") is refused before anything is checked against it.
    if (decodeProtectedHeader(token).alg !== 'HS256') return { ok: false, error: 'the token is not HS256' };
    const { payload } = await jwtVerify(token, createSecretKey(Buffer.from(signatureSecret, 'utf8')), {
      algorithms: ['HS256'],
      currentDate: now,
      maxTokenAge: WEBHOOK_MAX_AGE_S,
      clockTolerance: CLOCK_SKEW_S,
    });
    if (typeof payload.iat !== 'number') return { ok: false, error: 'the token has no iat' };
    const hash = payload.payload_hash;
    if (typeof hash !== 'string') return { ok: false, error: 'the token has no payload_hash' };
    const actual = createHash('sha256').update(rawBody, 'utf8').digest('hex');
    if (!safeEqual(actual, hash.toLowerCase())) return { ok: false, error: 'the body does not match the token’s payload_hash' };
    return { ok: true };
  } catch (err) {
    if (err instanceof errors.JWTExpired || (err instanceof errors.JWTClaimValidationFailed && err.claim === 'iat')) {
      return { ok: false, error: 'the token is too old (or not yet valid): refused as a replay' };
    }
    if (err instanceof errors.JOSEError) return { ok: false, error: `the token does not verify (${err.code})` };
    return { ok: false, error: 'the token cannot be read' };
  }
}

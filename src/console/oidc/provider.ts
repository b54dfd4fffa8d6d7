import type { Logger } from 'pino';
import type { BaseClient } from 'openid-client';
import { lazyModule } from '../../lazy-module';
import type { OidcSettings } from './settings';

/**
 * The OpenID provider, discovered once (its .well-known/openid-configuration) and then kept.
 * A provider that cannot be reached never stops the server: the local admin must still be
 * able to sign in while the identity provider is down. Discovery starts with the server,
 * and a failed one is tried again at the next single sign-on, at most once per RETRY_MS, so
 * a stream of clicks on the button does not become a stream of requests to a dead provider.
 */

/** How long one request to the provider may take (discovery, the code exchange, its keys). */
const PROVIDER_TIMEOUT_MS = 5_000;
/** A failed discovery is not tried again sooner than this. */
export const RETRY_MS = 10_000;

/**
 * openid-client (and the jose it brings) loaded at the first discovery: a server without
 * single sign-on configured never loads it (src/lazy-module.ts).
 */
export const openidClient = lazyModule(async () => {
  const library = await import('openid-client');
  // Discovery itself goes through the Issuer's defaults: the same bound on a hanging provider.
  library.custom.setHttpOptionsDefaults({ timeout: PROVIDER_TIMEOUT_MS });
  return library;
});

/** The provider could not be discovered; `message` names the issuer, never a secret. */
export class ProviderUnavailable extends Error {}

export class OidcProvider {
  private client: BaseClient | undefined;
  private discovering: Promise<BaseClient> | undefined;
  private lastFailure: { at: number; error: ProviderUnavailable } | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  /** Starts discovery in the background (at start-up): its outcome is logged, nothing is thrown. */
  warmUp(): void {
    this.getClient().then(
      () => this.log.info({ issuer: this.settings.issuer }, 'single sign-on: OpenID provider discovered'),
      (err: Error) => this.log.warn({ issuer: this.settings.issuer, reason: err.message }, 'single sign-on: OpenID provider cannot be reached; local sign-in still works, discovery is retried at the next sign-on'),
    );
  }

  /** The client for our registration at the provider; throws ProviderUnavailable. */
  async getClient(): Promise<BaseClient> {
    if (this.client) return this.client;
    if (this.discovering) return this.discovering;
    const failure = this.lastFailure;
    if (failure && this.now().getTime() - failure.at < RETRY_MS) throw failure.error;
    this.discovering = this.discover().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private async discover(): Promise<BaseClient> {
    try {
      const { Issuer, custom } = await openidClient();
      const issuer = await Issuer.discover(this.settings.issuer);
      const client = new issuer.Client({
        client_id: this.settings.clientId,
        client_secret: this.settings.clientSecret,
        redirect_uris: [this.settings.redirectUrl],
        response_types: ['code'],
      });
      // Our clock and the provider's may differ by a few seconds (iat, exp of the ID token).
      client[custom.clock_tolerance] = 5;
      client[custom.http_options] = (_url, options) => ({ ...options, timeout: PROVIDER_TIMEOUT_MS });
      this.client = client;
      this.lastFailure = undefined;
      return client;
    } catch (err) {
      const error = new ProviderUnavailable(`${this.settings.issuer} could not be discovered: ${(err as Error).message}`);
      this.lastFailure = { at: this.now().getTime(), error };
      throw error;
    }
  }
}

import type { Logger } from 'pino';
import type { Actor } from '../audit/actor';
import type { AuditTrail } from '../audit/trail';
import type { ApiTokenIdentity } from '../auth/roles';
import { randomBase62 } from '../ids';
import type { ApiToken, Store } from '../store/port';
import type { NewTokenFields } from './schemas';
import { newSecret, SECRET_SHAPE, secretHash } from './secret';

/** Last use is written at most once a minute per token (per instance, and the store checks too). */
const TOUCH_EVERY_MS = 60_000;

export type TokenStatus = 'active' | 'expired' | 'revoked';

/** A token as the API and the console list it: never its secret, never its hash. */
export interface TokenView extends ApiToken {
  status: TokenStatus;
}

export type CreateOutcome = { kind: 'created'; token: TokenView; secret: string } | { kind: 'name-taken' } | { kind: 'expired' };

export const statusOf = (token: ApiToken, now: Date): TokenStatus =>
  token.revokedAt ? 'revoked' : token.expiresAt !== null && Date.parse(token.expiresAt) <= now.getTime() ? 'expired' : 'active';

/**
 * Named API tokens (issue 20 part 2b): create (the secret returned once, never stored),
 * list, revoke, and authenticate a presented secret. Every check reads the store, with no
 * cache: a revocation holds from the next request on every instance.
 */
export class ApiTokens {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly audit: AuditTrail,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  async create(fields: NewTokenFields, actor: Actor): Promise<CreateOutcome> {
    const now = this.now();
    const expiresAt = fields.expiresAt ? new Date(fields.expiresAt).toISOString() : null;
    if (expiresAt && Date.parse(expiresAt) <= now.getTime()) return { kind: 'expired' };
    const secret = newSecret();
    const stored = {
      id: `tok_${randomBase62(16)}`,
      name: fields.name,
      role: fields.role,
      secretHash: secretHash(secret),
      createdAt: now.toISOString(),
      createdBy: actor.name,
      expiresAt,
    };
    if (!(await this.store.createApiToken(stored))) return { kind: 'name-taken' };
    const { secretHash: _hash, ...token } = stored;
    const view: TokenView = { ...token, lastUsedAt: null, revokedAt: null, revokedBy: null, status: 'active' };
    this.log.warn({ token: view.name, role: view.role, by: actor.name }, 'API token created');
    await this.audit.record(actor, 'token.create', `token:${view.name}`, { id: view.id, role: view.role, expiresAt });
    return { kind: 'created', token: view, secret };
  }

  async list(): Promise<TokenView[]> {
    const now = this.now();
    return (await this.store.listApiTokens()).map((t) => ({ ...t, status: statusOf(t, now) }));
  }

  /** The revoked token; undefined when there is no live token of that id. */
  async revoke(id: string, actor: Actor): Promise<TokenView | undefined> {
    const revoked = await this.store.revokeApiToken(id, actor.name, this.now().toISOString());
    if (!revoked) return undefined;
    this.log.warn({ token: revoked.name, by: actor.name }, 'API token revoked');
    await this.audit.record(actor, 'token.revoke', `token:${revoked.name}`, { id: revoked.id, role: revoked.role });
    return { ...revoked, status: 'revoked' };
  }

  /**
   * The identity of a presented secret, or undefined: unknown, revoked and expired alike.
   * The lookup is by the secret's SHA-256, so what the database compares is a hash the
   * caller cannot steer toward a stored one: its timing tells nothing about any secret.
   */
  async authenticate(presented: string): Promise<ApiTokenIdentity | undefined> {
    if (!SECRET_SHAPE.test(presented)) return undefined;
    const token = await this.store.findApiToken(secretHash(presented));
    const now = this.now();
    if (!token || statusOf(token, now) !== 'active') return undefined;
    this.touch(token.id, now);
    return { name: token.name, role: token.role };
  }

  /** Whether any token could be accepted: without one and without ADMIN_TOKEN the API is off. */
  async anyActive(): Promise<boolean> {
    const now = this.now();
    return (await this.store.listApiTokens()).some((t) => statusOf(t, now) === 'active');
  }

  private touch(id: string, now: Date): void {
    const last = this.touched.get(id);
    if (last !== undefined && now.getTime() - last < TOUCH_EVERY_MS) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(id, now.getTime());
    // Not awaited: the request does not wait for a bookkeeping write, nor fail with it.
    this.store.touchApiToken(id, now.toISOString(), new Date(now.getTime() - TOUCH_EVERY_MS).toISOString()).catch((err: Error) => {
      this.log.warn({ err: err.message }, 'API token last use not recorded');
    });
  }
}

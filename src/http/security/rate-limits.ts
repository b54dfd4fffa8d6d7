import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitInfo } from 'express-rate-limit';
import type { Logger } from 'pino';
import { BoundedMemoryStore } from './bounded-memory-store';

/**
 * Request limits per client (express-rate-limit). The counts are kept in this process's
 * memory: each instance behind a load balancer counts on its own, and a restart forgets
 * them. That suits what they are for (slowing guessers down), not exact quotas.
 */

export interface LimitOptions {
  /** What is counted, in the logs. */
  name: string;
  windowMs: number;
  /** Requests allowed per window and key; the next one is refused. */
  limit: number;
  /** Who is counted; the client's address by default (an IPv6 client by its /56). */
  key?: (req: Request) => string;
  /** Count only requests that fail (status 400 and up): e.g. sign-ins, where a success is not guessing. */
  failuresOnly?: boolean;
  /** Clients counted at most at once (bounded-memory-store.ts); DEFAULT_MAX_KEYS when absent. */
  maxKeys?: number;
  /** Answers a refused request; Retry-After is already set to retryAfterSeconds. */
  refuse: (req: Request, res: Response, retryAfterSeconds: number) => void;
  log: Logger;
}

/** Clients one limiter counts at once unless told otherwise: about 15 MB at the most. */
export const DEFAULT_MAX_KEYS = 100_000;

/** The client's address as a counting key: IPv6 clients by their /56, as one household or phone gets. */
export const clientAddress = (req: Request): string => ipKeyGenerator(req.ip ?? '');

export function limitRequests(options: LimitOptions): RequestHandler {
  const { log, name } = options;
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    keyGenerator: options.key ?? clientAddress,
    skipSuccessfulRequests: options.failuresOnly ?? false,
    // Never unbounded: a flood of new addresses (an IPv6 network has billions) would
    // otherwise grow the counts for as long as the window lasts.
    store: new BoundedMemoryStore(options.maxKeys ?? DEFAULT_MAX_KEYS),
    // Retry-After is the one header a refused client needs; quota headers on every
    // answer would only tell a guesser how far it can go.
    standardHeaders: false,
    legacyHeaders: false,
    handler: (req, res) => {
      const info = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit;
      const retryAfterSeconds = Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
      log.warn({ limit: name, ip: req.ip, retryAfterSeconds }, 'rate limit reached');
      res.set('Retry-After', String(retryAfterSeconds));
      options.refuse(req, res, retryAfterSeconds);
    },
    // Its own warnings (a request without an address, a misconfiguration) go to our log, not stderr.
    logger: { error: (err, message) => log.warn({ err }, message ?? 'rate limiter'), warn: (err, message) => log.warn({ err }, message ?? 'rate limiter') },
  });
}

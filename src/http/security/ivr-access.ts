import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { inNetworks, networkList } from './cidr';
import type { IvrAccessSettings } from './settings';

/**
 * Who may fetch the IVR documents. Two locks, each optional:
 *
 * - IVR_ALLOWED_CIDRS, on every /vxml/ request: only the VoiceXML platform's networks.
 *   The address is req.ip, so behind a load balancer TRUST_PROXY must name it.
 * - IVR_SHARED_SECRET, on /vxml/start only. The start URL is the IVR's, configured with
 *   the secret by its owner; every later URL is one we wrote into our own documents, and
 *   the secret never goes there (it would sit in VoiceXML, in URLs and in the platform's
 *   logs). Those steps are bound to their call by its call id, 128 random bits that only
 *   a request that passed the start ever sees.
 *
 * The console's call simulator calls this server's own documents (over loopback, from
 * wherever the platform is not): its requests carry a key made at start-up, known only to
 * this process, and pass both locks.
 *
 * A refused request is answered by `refuse` (a hand-back document with HTTP 403) and
 * logged with the reason and address only: never the secret, never a number.
 */

/** The header that carries the secret when the platform can send one (it keeps it out of URLs). */
export const SECRET_HEADER = 'x-ivr-secret';
/** The header that carries the simulator's key. */
export const SIMULATOR_HEADER = 'x-ivr-simulator';

export interface IvrAccess {
  settings: IvrAccessSettings;
  /** The key the console's simulated calls send in SIMULATOR_HEADER. */
  simulatorKey: string;
  /** Answers a refused request. */
  refuse: (req: Request, res: Response) => void;
  log: Logger;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Fixed-length digests compared in constant time: the time taken tells nothing of the expected value. */
function matches(given: string | undefined, expected: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), expected);
}

/** Whether a request comes from the console's simulator (it carries the process's key). */
export function fromSimulator(access: IvrAccess): (req: Request) => boolean {
  const key = digest(access.simulatorKey);
  return (req) => matches(req.get(SIMULATOR_HEADER), key);
}

/** Every /vxml/ request from outside IVR_ALLOWED_CIDRS is refused; with none configured, nothing is. */
export function allowedSources(access: IvrAccess): RequestHandler {
  const { settings, log, refuse } = access;
  if (settings.allowedCidrs.length === 0) return (_req, _res, next) => next();
  const allowed = networkList(settings.allowedCidrs);
  const simulated = fromSimulator(access);
  return (req, res, next) => {
    if (inNetworks(allowed, req.ip) || simulated(req)) {
      next();
      return;
    }
    log.warn({ path: req.path, ip: req.ip }, 'IVR request refused: address not in IVR_ALLOWED_CIDRS');
    refuse(req, res);
  };
}

/** /vxml/start must carry IVR_SHARED_SECRET (parameter or header); with none configured, it need not. */
export function requireSharedSecret(access: IvrAccess): RequestHandler {
  const { settings, log, refuse } = access;
  if (!settings.sharedSecret) return (_req, _res, next) => next();
  const expected = digest(settings.sharedSecret);
  const simulated = fromSimulator(access);
  return (req, res, next) => {
    const given = sentSecret(req, settings.secretParam);
    if (matches(given, expected) || simulated(req)) {
      next();
      return;
    }
    const reason = given === undefined ? 'no shared secret' : 'wrong shared secret';
    log.warn({ path: req.path, ip: req.ip }, `IVR request refused: ${reason}`);
    refuse(req, res);
  };
}

/** The header, else the form field, else the query parameter; the first of repeated values. */
function sentSecret(req: Request, param: string): string | undefined {
  const candidates = [req.get(SECRET_HEADER), (req.body as Record<string, unknown> | undefined)?.[param], req.query[param]];
  for (const value of candidates) {
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string' && text !== '') return text;
  }
  return undefined;
}

import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { DeflectionService, StepRequest } from '../deflection/service';
import { RecipePage, type Served } from '../deflection/page-recipe';
import { holdToneWav, type HoldAudioEncoding } from '../vxml/hold-tone';
import { PageRenderer } from '../vxml/render-cache';
import { ExactRoutes, runChain } from './exact-routes';
import { AUDIO_MAX_AGE_S, perCallDocument, ROOT_MAX_AGE_S, sharedResource } from './ivr-caching';
import { multipartForm } from './ivr-multipart';
import { contextParams, ivrParam, modeParam, platformCallIdParam } from './ivr-params';
import { unknownPlatformPage, withPlatform } from '../deflection/platform-override';
import { platformParam } from './platform-param';
import { renderRecipe } from './render-recipe';
import { allowedSources, requireSharedSecret, type IvrAccess } from './security/ivr-access';
import { limitIvrStep } from './security/ivr-rate-limits';
import type { IvrAccessSettings } from './security/settings';

const VXML_TYPE = 'application/voicexml+xml; charset=utf-8';

const renderer = new PageRenderer();

/** Platforms send a few short values: 16 KB and 50 fields is plenty. */
const BODY_LIMIT = '16kb';
const MAX_FIELDS = 50;

function sendPage(res: Response, served: Served, status = 200): void {
  // platform= (README "Platforms") is applied to whatever page answers, so it lasts the call.
  const platform = platformParam(res.req);
  let page: Served = platform.kind === 'unknown' ? unknownPlatformPage(modeParam(res.req)) : served;
  const platformName = platform.kind === 'known' ? platform.name : undefined;
  res.type(VXML_TYPE);
  // The root document is the same for every call of a campaign: browsers may cache it.
  // Every other document belongs to one moment of one call.
  if (page.kind === 'root') sharedResource(res, ROOT_MAX_AGE_S);
  else perCallDocument(res);
  if (page instanceof RecipePage) {
    // Rendered from its recipe's key: a shape rendered before builds no page model.
    res.status(status).send(renderRecipe(renderer, page, platformName));
    return;
  }
  if (platformName) page = withPlatform(page, platformName);
  res.status(status).send(renderer.render(page));
}

/**
 * The body readers as one middleware that a request without a body skips whole: every
 * fetch of a document but a <submit method="post"> is a GET without one, and each reader
 * is otherwise a layer the router walks (the readers themselves skip such a request too).
 * A body is announced by Transfer-Encoding or Content-Length, as the readers decide (type-is's hasBody).
 */
function bodyReader(readers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length']))) {
      next();
      return;
    }
    runChain(readers, req, res, next, () => next());
  };
}

function stepRequest(req: Request, answerParam: string): StepRequest {
  return { callId: ivrParam(req, 'call'), answer: ivrParam(req, answerParam), modeHint: modeParam(req) };
}

/**
 * The documents VoiceXML browsers fetch, all under /vxml/ so that the relative URLs in
 * them resolve wherever the server is mounted. Whatever arrives, the answer is HTTP 200
 * with a valid document: an HTTP error would be a dropped call. The exceptions are a
 * request refused by IVR_ALLOWED_CIDRS or IVR_SHARED_SECRET (403) and one over a
 * per-address rate limit (429), so the platform's logs say why, still with a document
 * that hands the call back.
 */
export function ivrRoutes(
  service: DeflectionService,
  log: Logger,
  settings: IvrAccessSettings,
  simulatorKey: string,
  holdAudioEncoding: HoldAudioEncoding = 'mulaw',
): RequestHandler {
  // One middleware that finds each route by its exact path (exact-routes.ts): an IVR
  // request walks no router layers. Same paths, methods and order of checks as a Router.
  const router = new ExactRoutes();
  const before: RequestHandler[] = [];
  const refuse = (req: Request, res: Response) => sendPage(res, service.errorPage(modeParam(req)), 403);
  const access: IvrAccess = { settings, simulatorKey, refuse, log };
  const refuseTooMany = (req: Request, res: Response) => sendPage(res, service.errorPage(modeParam(req)), 429);
  // Before the body is read: a refused address costs nothing more. Without
  // IVR_ALLOWED_CIDRS every address may fetch: no layer for each request to walk.
  if (settings.allowedCidrs.length) before.push(allowedSources(access));
  // Platforms send a few short values: 16 KB and 50 fields is plenty, and a request past
  // either gets the hand-back document (handBackOnError). Multipart forms (a legal
  // <submit enctype>) are read the same way, with the same limits.
  before.push(
    bodyReader([express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: MAX_FIELDS }), ...multipartForm({ limit: BODY_LIMIT, maxFields: MAX_FIELDS })]),
  );

  // The default hold audio of the send step (pages.ts DEFAULT_HOLD_AUDIO).
  const holdTone = holdToneWav(holdAudioEncoding);
  router.get('/audio/hold.wav', (_req, res) => {
    sharedResource(res.type('audio/wav'), AUDIO_MAX_AGE_S);
    res.send(holdTone);
  });

  router.all('/root.vxml', (req, res) => {
    const campaignId = ivrParam(req, 'campaign');
    sendPage(res, service.root(campaignId || undefined, modeParam(req)));
  });

  // The budget first: guessing the secret counts too.
  router.all('/start', limitIvrStep('start', access, refuseTooMany), requireSharedSecret(access), async (req, res) => {
    // An unknown platform= is a typo in the IVR's start URL: no call is started (sendPage hands back).
    const platform = platformParam(req);
    if (platform.kind === 'unknown') {
      log.warn({ platform: platform.value }, 'unknown platform on the start URL; handing the call back');
      sendPage(res, service.errorPage(modeParam(req)));
      return;
    }
    const page = await service.start({
      dnis: ivrParam(req, 'dnis'),
      ani: ivrParam(req, 'ani'),
      platformCallId: platformCallIdParam(req),
      mode: modeParam(req),
      context: contextParams(req),
    });
    sendPage(res, page);
  });

  router.all('/offer', async (req, res) => sendPage(res, await service.offer(stepRequest(req, 'answer'))));
  router.all('/number', async (req, res) => sendPage(res, await service.number(stepRequest(req, 'answer'))));
  router.all('/confirm', limitIvrStep('send', access, refuseTooMany), async (req, res) => sendPage(res, await service.confirm(stepRequest(req, 'answer'))));
  router.all('/giveup', async (req, res) => sendPage(res, await service.giveUp(stepRequest(req, 'reason'))));

  // A wrong URL in an IVR's configuration still gets a document that ends politely.
  const unknownDocument: RequestHandler = (req, res) => {
    log.warn({ path: req.path }, 'unknown IVR document requested');
    sendPage(res, service.errorPage(modeParam(req)));
  };

  const handBackOnError: ErrorRequestHandler = (err, req, res, _next) => {
    const status = (err as { status?: number }).status;
    // Client errors (a body that is too large or not form data) are the caller's IVR's
    // problem, not ours: log them quietly. Anything else is a fault worth a stack trace.
    if (status && status < 500) log.warn({ path: req.path, status, error: (err as Error).message }, 'bad IVR request');
    else log.error({ path: req.path, err }, 'IVR request failed');
    if (res.headersSent) return;
    sendPage(res, service.errorPage(modeParam(req)));
  };
  return router.middleware({ before, fallback: unknownDocument, onError: handBackOnError });
}

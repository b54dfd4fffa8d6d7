import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import request from 'supertest';
import { ExactRoutes } from '../../src/http/exact-routes';

/**
 * The IVR's routes moved from an Express Router to ExactRoutes (one Map lookup): the same
 * request must reach the same handler, with the same req.route.path, the same handling of
 * errors, and the same fall-through, as Express's own Router gives. Each case is sent to
 * an app built each way from the same handlers, and the answers compared.
 */

const answer = (name: string): RequestHandler => (req, res) => {
  res.type('text/plain').send(`${name} ${req.method} route=${String((req.route as { path?: string } | undefined)?.path)} url=${req.url} base=${req.baseUrl}`);
};
const passOn: RequestHandler = (req, _res, next) => {
  (req as Request & { seen?: string[] }).seen = [...((req as Request & { seen?: string[] }).seen ?? []), 'guard'];
  next();
};
const refuseIfAsked: RequestHandler = (req, res, next) => {
  if (req.query.refuse) res.status(403).type('text/plain').send('refused');
  else next();
};
const throwsNow: RequestHandler = () => {
  throw Object.assign(new Error('thrown'), { status: 400 });
};
const rejects: RequestHandler = async () => {
  await Promise.resolve();
  throw new Error('rejected');
};
const nextFromLast: RequestHandler = (_req, _res, next) => next();
const nextWithError: RequestHandler = (_req, _res, next) => next(new Error('passed on'));
const fallback: RequestHandler = (req, res) => {
  res.type('text/plain').send(`fallback ${req.method} ${req.path} route=${String((req.route as { path?: string } | undefined)?.path)}`);
};
const onError: ErrorRequestHandler = (err, req, res, _next) => {
  res.status(200).type('text/plain').send(`error ${(err as Error).message} on ${req.path} route=${String((req.route as { path?: string } | undefined)?.path)}`);
};
const beforeAll: RequestHandler = (req, res, next) => {
  if (req.query.block) res.status(401).type('text/plain').send('blocked before');
  else if (req.query.fail) next(new Error('failed before'));
  else next();
};

/** The same routes, declared on an Express Router (as ivr-routes.ts did) and on ExactRoutes. */
function withRouter(): express.Express {
  const router = express.Router();
  router.use(beforeAll);
  router.get('/audio/hold.wav', answer('hold'));
  router.all('/root.vxml', answer('root'));
  router.all('/start', refuseIfAsked, passOn, answer('start'));
  router.all('/throws', throwsNow);
  router.all('/rejects', rejects);
  router.all('/next-from-last', nextFromLast);
  router.all('/next-with-error', passOn, nextWithError);
  router.use(fallback);
  router.use(onError);
  return mount(router);
}

function withExactRoutes(): express.Express {
  const routes = new ExactRoutes()
    .get('/audio/hold.wav', answer('hold'))
    .all('/root.vxml', answer('root'))
    .all('/start', refuseIfAsked, passOn, answer('start'))
    .all('/throws', throwsNow)
    .all('/rejects', rejects)
    .all('/next-from-last', nextFromLast)
    .all('/next-with-error', passOn, nextWithError);
  return mount(routes.middleware({ before: [beforeAll], fallback, onError }));
}

function mount(handler: RequestHandler): express.Express {
  const app = express();
  app.set('query parser', 'simple');
  app.use('/vxml', handler);
  app.use((_req: Request, res: Response) => res.status(404).send('app 404'));
  return app;
}

const PATHS = [
  '/vxml/start',
  '/vxml/start?dnis=1&ani=2',
  '/vxml/start/',
  '/vxml/START',
  '/vxml/Start/?x=1',
  '/vxml/start//',
  '/vxml/st%61rt',
  '/vxml/start.vxml',
  '/vxml/start/more',
  '/vxml/start?refuse=1',
  '/vxml/start?block=1',
  '/vxml/start?fail=1',
  '/vxml/nowhere?block=1',
  '/VXML/start',
  '/vxml',
  '/vxml/',
  '/vxml/root.vxml',
  '/vxml/rootxvxml',
  '/vxml/audio/hold.wav',
  '/vxml/AUDIO/Hold.WAV/',
  '/vxml/audio/hold.wav/x',
  '/vxml/audio',
  '/vxml/throws',
  '/vxml/rejects',
  '/vxml/next-from-last',
  '/vxml/next-with-error',
  '/vxml/unknown',
  '/vxml/%E0%A4%A',
  '/vxmlstart',
];
const METHODS = ['get', 'post', 'head', 'put', 'delete', 'options', 'patch'] as const;

describe('ExactRoutes answers as the Express Router it replaced', () => {
  const router = withRouter();
  const exact = withExactRoutes();

  for (const method of METHODS) {
    test.each(PATHS)(`${method.toUpperCase()} %s`, async (path) => {
      const [want, got] = await Promise.all([request(router)[method](path), request(exact)[method](path)]);
      expect({ status: got.status, text: got.text, allow: got.headers.allow }).toEqual({ status: want.status, text: want.text, allow: want.headers.allow });
    });
  }

  test('the cases above reach every kind of answer (so the comparison compares something)', async () => {
    const texts = await Promise.all(
      ['/vxml/START/', '/vxml/audio/hold.wav', '/vxml/throws', '/vxml/rejects', '/vxml/next-from-last', '/vxml/start?refuse=1'].map(async (p) => (await request(exact).get(p)).text),
    );
    expect(texts).toEqual([
      'start GET route=/start url=/START/ base=/vxml',
      'hold GET route=/audio/hold.wav url=/audio/hold.wav base=/vxml',
      'error thrown on /throws route=/throws',
      'error rejected on /rejects route=/rejects',
      'fallback GET /next-from-last route=/next-from-last',
      'refused',
    ]);
    expect((await request(exact).post('/vxml/audio/hold.wav')).text).toBe('fallback POST /audio/hold.wav route=undefined');
  });

  test('a path declared twice is refused', () => {
    expect(() => new ExactRoutes().all('/start', fallback).all('/START/', fallback)).toThrow('declared twice');
  });
});

import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * A handful of fixed paths served by one middleware that finds the route by exact path (a
 * Map lookup), instead of an Express Router that walks a layer per route and allocates its
 * `next` closures, prefix trimming and a Route dispatch on every request: the IVR's
 * documents are the hot path, and each of its requests paid for that walk.
 *
 * Matching is Express 5's default, so the same URLs reach the same handlers: paths are
 * case-insensitive and one trailing slash is allowed ('/START/' is '/start'), nothing is
 * decoded ('/st%61rt' is not '/start'); a GET route answers HEAD too, an `all` route every
 * method. As in Express, handlers of a route run in turn (each calls next()), a thrown
 * error or rejected promise goes to the error handler, and `req.route.path` names the
 * route (request metrics label requests by it).
 */

type Methods = 'all' | 'get';
interface ExactRoute {
  methods: Methods;
  handlers: RequestHandler[];
  /** What req.route is while the route runs: Express's Route has this path. */
  route: { readonly path: string };
}

export interface ExactRoutesOptions {
  /** Run before the lookup, in order, for every request (access checks, body readers). */
  before?: RequestHandler[];
  /** Answers a path no route matches (or a method its route does not take). */
  fallback: RequestHandler;
  /** Errors from any handler above. */
  onError: ErrorRequestHandler;
}

/** Express's non-strict, case-insensitive match: the key a path is looked up by. */
export function routeKey(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

export class ExactRoutes {
  private readonly routes = new Map<string, ExactRoute>();

  all(path: string, ...handlers: RequestHandler[]): this {
    return this.add('all', path, handlers);
  }

  get(path: string, ...handlers: RequestHandler[]): this {
    return this.add('get', path, handlers);
  }

  private add(methods: Methods, path: string, handlers: RequestHandler[]): this {
    const key = routeKey(path);
    if (this.routes.has(key)) throw new Error(`route ${path} is declared twice`);
    this.routes.set(key, { methods, handlers, route: Object.freeze({ path }) });
    return this;
  }

  /** The one middleware: mount it where the router was (app.use('/vxml', ...)). */
  middleware(options: ExactRoutesOptions): RequestHandler {
    const before = options.before ?? [];
    const { fallback, onError } = options;
    const lookup = (req: Request): ExactRoute | undefined => {
      const found = this.routes.get(routeKey(req.path));
      if (!found) return undefined;
      if (found.methods === 'get' && req.method !== 'GET' && req.method !== 'HEAD') return undefined;
      return found;
    };
    return (req, res, _next) => {
      const fail = (err: unknown): void => {
        try {
          onError(err, req, res, failLast);
        } catch (again) {
          failLast(again);
        }
      };
      // An error in the error handler itself goes to Express's (the app's) error handlers.
      const failLast: NextFunction = (err?: unknown) => _next(err);
      const found = (): void => {
        const route = lookup(req);
        if (route) {
          req.route = route.route;
          runChain(route.handlers, req, res, fail, () => {
            // A route's last handler called next(): as in Express, the next layer answers (req.route stays).
            runChain([fallback], req, res, fail, () => _next());
          });
        } else runChain([fallback], req, res, fail, () => _next());
      };
      runChain(before, req, res, fail, found);
    };
  }
}

/**
 * Runs handlers in turn: each gets a next() that runs the one after it (or `done` after
 * the last), next(err) or a throw or a rejected promise ends the chain in `fail`.
 */
export function runChain(handlers: readonly RequestHandler[], req: Request, res: Response, fail: (err: unknown) => void, done: () => void): void {
  let i = 0;
  const next: NextFunction = (err?: unknown) => {
    if (err !== undefined && err !== null && err !== 'route') {
      fail(err);
      return;
    }
    if (err === 'route' || i === handlers.length) {
      done();
      return;
    }
    const handler = handlers[i++] as RequestHandler;
    try {
      const returned = handler(req, res, next) as unknown;
      if (returned instanceof Promise) returned.catch((rejected: unknown) => fail(rejected ?? new Error('Rejected promise')));
    } catch (thrown) {
      fail(thrown);
    }
  };
  next();
}

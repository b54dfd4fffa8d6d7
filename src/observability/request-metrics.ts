import type { Request, RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

/**
 * The route a request matched, as its pattern ("/vxml/offer", "/s/:code"): never the raw
 * path, whose ids would make a series per call. A request a router answered without a
 * route (its static files, its auth check) is "/api/*" and the like; one nothing
 * answered is "unmatched".
 */
function routeOf(req: Request): string {
  if (req.route) return `${req.baseUrl}${String(req.route.path)}`;
  return req.baseUrl ? `${req.baseUrl}/*` : 'unmatched';
}

/** HTTP request latency by method, route and status class (2xx, 4xx...). */
export function requestMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status class',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [registry],
  });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      duration.observe({ method: req.method, route: routeOf(req), status: `${Math.floor(res.statusCode / 100)}xx` }, seconds);
    });
    next();
  };
}

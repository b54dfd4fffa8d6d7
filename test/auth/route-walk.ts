import type { Express } from 'express';
import { accessOf, type RouteAccess } from '../../src/auth/roles';

/**
 * Every route an express app answers, found by walking its routers as express holds them
 * (express 5 / router 2: a layer has `route` for router.get & co, a `handle` with a `stack`
 * for a mounted router, and the path it was mounted at as `rawPath`).
 */
export interface FoundRoute {
  method: string;
  /** The full path, with its :params. */
  path: string;
  /** What the route's own handlers declare (requireRole / openRoute); undefined for none. */
  access: RouteAccess | undefined;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: Array<{ handle: unknown }> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

export function walkRoutes(app: Express): FoundRoute[] {
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  const found: FoundRoute[] = [];
  walk(router.stack, '', found);
  return found;
}

const join = (prefix: string, path: string): string => (path === '/' ? prefix || '/' : `${prefix}${path}`);

function walk(stack: Layer[], prefix: string, found: FoundRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = [layer.route.path].flat();
      const declared = layer.route.stack.map((l) => accessOf(l.handle)).filter((a): a is RouteAccess => a !== undefined);
      if (declared.length > 1) throw new Error(`${paths.join(', ')} declares its access ${declared.length} times`);
      for (const path of paths) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          found.push({ method: method.toUpperCase(), path: join(prefix, path), access: declared[0] });
        }
      }
      continue;
    }
    if (!layer.handle.stack) continue; // middleware, not a route
    for (const mount of [layer.rawPath ?? '/'].flat()) walk(layer.handle.stack, join(prefix, mount === '/' ? '' : mount), found);
  }
}

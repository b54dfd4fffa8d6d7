import request from 'supertest';
import { allows, ROLES, type Role } from '../../src/auth/roles';
import { apiTokensByRole, sessionAs } from './as-role';
import { startConsole } from '../console/helpers';
import type { TestServer } from '../helpers/server';
import { walkRoutes, type FoundRoute } from './route-walk';
import { adminOpenApi } from '../../src/http/admin/openapi';

/**
 * The role matrix, generated from the router: every route of the console (/admin) and the
 * admin API (/api), as createApp builds them, must declare a minimum role (or say why it is
 * open); then each route is requested as each role and with no credentials:
 * below the minimum it is refused (the console's 403 page, the API's 403 JSON), at or above
 * it is served (anything but 401/403 and the sign-in page), and without credentials the
 * console sends to the sign-in page and the API answers 401.
 */


/** Routes that need no role, and why: opening another one must be a decision made here too. */
const OPEN = ['GET /admin/sign-in', 'POST /admin/sign-in', 'GET /admin/oidc/start', 'GET /admin/oidc/callback', 'GET /api/openapi.json', 'GET /api/context/:token'];

/** A value for each :param (a campaign that exists; ids of nothing otherwise). */
const SAMPLE: Record<string, string> = { id: 'support', token: 'no-such-token', gateway: 'sandbox' };
const concrete = (path: string): string =>
  path.replace(/:(\w+)/g, (_m, name: string) => {
    const value = SAMPLE[name];
    if (!value) throw new Error(`no sample value for :${name} in ${path}`);
    return value;
  });

describe('the role matrix, generated from the router', () => {
  let server: TestServer;
  let tokenOf: Record<Role, string>;
  let routes: FoundRoute[];

  beforeAll(async () => {
    server = await startConsole({
      // Single sign-on on, so its routes are on the router too (no provider needed: nothing here signs in through it).
      env: { OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'matrix', OIDC_CLIENT_SECRET: 'matrix-client-secret-0123456789', OIDC_ALLOW_ANY_ACCOUNT: 'true', OIDC_DEFAULT_ROLE: 'viewer' },
    });
    tokenOf = await apiTokensByRole(server.store);
    routes = walkRoutes(server.app).filter((r) => /^\/(admin|api)(\/|$)/.test(r.path));
  });
  afterAll(() => server?.close());

  async function call(route: FoundRoute, as: Role | undefined): Promise<request.Response> {
    const path = concrete(route.path);
    let req = request(server.app)[route.method.toLowerCase() as 'get'](path);
    if (as && route.path.startsWith('/admin')) {
      // A fresh session each time: signing out ends one.
      const { cookie, csrf } = await sessionAs(server.store, as);
      req = req.set('Cookie', cookie).set('X-CSRF-Token', csrf);
    }
    if (as && route.path.startsWith('/api')) req = req.set('Authorization', `Bearer ${tokenOf[as]}`);
    return route.method === 'GET' ? req : req.send({});
  }

  const name = (r: FoundRoute): string => `${r.method} ${r.path}`;

  it('finds the console and the API on the router', () => {
    // A walk that found nothing would pass every check below.
    expect(routes.filter((r) => r.path.startsWith('/admin/')).length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.path.startsWith('/api/')).length).toBeGreaterThan(20);
  });

  it('every route declares a minimum role, or is one of the open routes', () => {
    const undeclared = routes.filter((r) => !r.access).map(name);
    expect(undeclared).toEqual([]);
    const open = routes.filter((r) => r.access && 'open' in r.access).map(name);
    expect(open.sort()).toEqual([...OPEN].sort());
  });

  it('the OpenAPI document names each API route\'s role as the router declares it (x-role)', () => {
    const doc = adminOpenApi() as { paths: Record<string, Record<string, { 'x-role'?: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} /api${path.replace(/\{(\w+)\}/g, ':$1')} ${op['x-role'] ?? 'open'}`),
    );
    const declared = routes
      .filter((r) => r.path.startsWith('/api/') && r.path !== '/api/openapi.json')
      .map((r) => `${name(r)} ${r.access && 'role' in r.access ? r.access.role : 'open'}`);
    expect(documented.sort()).toEqual(declared.sort());
  });

  it('refuses each role below a route\'s minimum and serves each role at or above it', async () => {
    const checked = routes.filter((r) => r.access && 'role' in r.access);
    const wrong: string[] = [];
    for (const route of checked) {
      const needed = (route.access as { role: Role }).role;
      const console = route.path.startsWith('/admin');
      const anonymous = await call(route, undefined);
      const refusedAnonymous = console ? anonymous.status === 303 && /^\/admin\/sign-in/.test(anonymous.headers.location ?? '') : anonymous.status === 401;
      if (!refusedAnonymous) wrong.push(`${name(route)} with no credentials: ${anonymous.status}`);
      for (const role of ROLES) {
        const res = await call(route, role);
        if (allows(role, needed)) {
          // Signing out is the one route whose success is going to the sign-in page.
          const signInAgain = route.path !== '/admin/sign-out' && res.status === 303 && /^\/admin\/sign-in/.test(res.headers.location ?? '');
          if (res.status === 401 || res.status === 403 || signInAgain) wrong.push(`${name(route)} as ${role} (needs ${needed}): refused with ${res.status}`);
        } else if (res.status !== 403) {
          wrong.push(`${name(route)} as ${role} (needs ${needed}): ${res.status}, not 403`);
        } else if (console ? !res.text.includes(`This needs the ${needed} role`) : !String(res.body.error).includes(`needs the ${needed} role`)) {
          wrong.push(`${name(route)} as ${role}: a 403 without the refusal naming the ${needed} role`);
        }
      }
    }
    console.log(`role matrix: ${checked.length} routes x ${ROLES.length} roles (+ no credentials) = ${checked.length * (ROLES.length + 1)} requests`);
    expect(wrong).toEqual([]);
  });
});

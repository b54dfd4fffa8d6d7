import request from 'supertest';
import { postSignIn, USER, PASSWORD } from '../helpers';
import { CookieBrowser, type Hop } from '../../helpers/cookie-browser';
import { signInAtProvider, startSignIn, startSsoRig, type SsoRig } from './harness';

/**
 * Single sign-on against a real OpenID provider (oidc-provider, started by the test): the
 * authorization code flow with PKCE, through the provider's own login and consent pages,
 * and each way it must refuse.
 */

const signedInAs = async (browser: CookieBrowser, rig: SsoRig): Promise<Hop> => browser.get(`${rig.base}/admin/service`);

describe('console single sign-on (OpenID Connect)', () => {
  let rig: SsoRig;
  beforeAll(async () => {
    rig = await startSsoRig();
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('offers "Sign in with <label>" beside the user name and password form', async () => {
    const page = await new CookieBrowser().get(`${rig.base}/admin/sign-in?next=/admin/reports`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign in with Example SSO');
    expect(page.text).toContain('href="/admin/oidc/start?next=%2Fadmin%2Freports"');
    expect(page.text).toContain('name="password"');
  });

  it('asks the provider for a code with a PKCE S256 challenge, a state and a nonce', async () => {
    const hop = await new CookieBrowser().request(`${rig.base}/admin/oidc/start`);
    expect(hop.status).toBe(303);
    const url = new URL(hop.location!);
    expect(url.origin).toBe(rig.provider.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(url.searchParams.get('redirect_uri')).toBe(`${rig.base}/admin/oidc/callback`);
  });

  it('signs in through the provider\'s login and consent pages and lands where the admin was going', async () => {
    const browser = new CookieBrowser();
    const toCallback = await signInAtProvider(browser, rig, 'alice');
    const landed = await browser.follow(toCallback);
    expect(landed.url).toBe(`${rig.base}/admin/reports`);
    expect(landed.status).toBe(200);
    const host = new URL(rig.provider.issuer).host;
    expect((await signedInAs(browser, rig)).text).toContain(`oidc:${host}:alice`);
    expect(rig.logs).toContainEqual(expect.objectContaining({ msg: 'console sign-in (single sign-on)', user: `oidc:${host}:alice`, email: 'alice@example.com' }));
  });

  it('gives each account the role its roles claim maps to: an admin sees the opt-out list, a viewer is refused it', async () => {
    const host = new URL(rig.provider.issuer).host;
    const admin = new CookieBrowser();
    await admin.follow(await signInAtProvider(admin, rig, 'alice'));
    const adminPage = await admin.get(`${rig.base}/admin/opt-outs`);
    expect(adminPage.status).toBe(200);
    expect(adminPage.text).toContain('href="/admin/audit"');

    const viewer = new CookieBrowser();
    const landed = await viewer.follow(await signInAtProvider(viewer, rig, 'victor'));
    expect(landed.status).toBe(200);
    const reports = await viewer.get(`${rig.base}/admin/reports`);
    expect(reports.status).toBe(200);
    // The nav offers only what a viewer may open; the pages refuse the rest all the same.
    expect(reports.text).not.toContain('href="/admin/opt-outs"');
    expect(reports.text).not.toContain('href="/admin/audit"');
    const optOuts = await viewer.get(`${rig.base}/admin/opt-outs`);
    expect(optOuts.status).toBe(403);
    expect(optOuts.text).toContain('This needs the admin role');

    // The audit trail's sign-in entries name the role each got.
    const signIns = (await rig.server.store.searchAudit({ action: 'sign-in', limit: 50 })).map((e) => ({ target: e.target, detail: JSON.parse(e.detail ?? '{}') as unknown }));
    expect(signIns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: `user:oidc:${host}:alice`, detail: expect.objectContaining({ method: 'oidc', role: 'admin' }) }),
        expect.objectContaining({ target: `user:oidc:${host}:victor`, detail: expect.objectContaining({ method: 'oidc', role: 'viewer' }) }),
      ]),
    );
  });

  it('refuses an account whose roles claim maps to no role, with a page saying so (no default role set)', async () => {
    const browser = new CookieBrowser();
    const hop = await browser.follow(await signInAtProvider(browser, rig, 'nora'));
    expect(hop.status).toBe(403);
    expect(hop.text).toContain('has no role in this console');
    expect((await signedInAs(browser, rig)).url).toContain('/admin/sign-in');
    expect(rig.logs).toContainEqual(expect.objectContaining({ msg: 'console sign-in refused (single sign-on)', reason: expect.stringContaining('roles claim [staff] matches no role') }));
  });

  it('ends the session on sign-out', async () => {
    const browser = new CookieBrowser();
    await browser.follow(await signInAtProvider(browser, rig, 'alice'));
    const page = await signedInAs(browser, rig);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const out = await browser.request(`${rig.base}/admin/sign-out`, { form: { _csrf: csrf } });
    expect(out.location).toBe(`${rig.base}/admin/sign-in`);
    expect((await signedInAs(browser, rig)).url).toContain('/admin/sign-in');
  });

  it('refuses a replayed callback: the code was already used', async () => {
    const browser = new CookieBrowser();
    const toCallback = await signInAtProvider(browser, rig, 'alice');
    // Whoever copied the callback URL and the browser's cookies at that moment.
    const copied = await browser.jar.serialize();
    await browser.follow(toCallback);
    const thief = new CookieBrowser();
    await thief.jar.removeAllCookies();
    for (const cookie of copied.cookies) {
      if (String(cookie.key).includes('ivr_console_oidc')) await thief.jar.setCookie(`${cookie.key}=${cookie.value}`, rig.base);
    }
    const replay = await thief.request(toCallback.location!);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('already used or has expired');
    expect((await signedInAs(thief, rig)).url).toContain('/admin/sign-in');
  });

  it('refuses a callback whose state is not the one this browser started', async () => {
    const browser = new CookieBrowser();
    const toCallback = await signInAtProvider(browser, rig, 'alice');
    const forged = new URL(toCallback.location!);
    forged.searchParams.set('state', 'someone-elses-state');
    const hop = await browser.request(forged.toString());
    expect(hop.status).toBe(400);
    expect(hop.text).toContain('does not match the one started in this browser');
    expect(hop.text).not.toMatch(/at .*\.js:\d+/); // no stack
    expect((await signedInAs(browser, rig)).url).toContain('/admin/sign-in');
  });

  it('refuses a callback in a browser that never started a sign-in (someone else\'s code)', async () => {
    const toCallback = await signInAtProvider(new CookieBrowser(), rig, 'alice');
    const victim = new CookieBrowser();
    const hop = await victim.request(toCallback.location!);
    expect(hop.status).toBe(400);
    expect(hop.text).toContain('was not started in this browser');
    expect((await signedInAs(victim, rig)).url).toContain('/admin/sign-in');
  });

  it('refuses a state cookie that was altered', async () => {
    const browser = new CookieBrowser();
    const toCallback = await signInAtProvider(browser, rig, 'alice');
    const { cookies } = await browser.jar.serialize();
    const pending = cookies.find((c) => String(c.key).includes('ivr_console_oidc'))!;
    const [body, ts, sig] = String(pending.value).split('.');
    const altered = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, string>;
    altered.next = '/admin/service';
    await browser.jar.setCookie(`${pending.key}=${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${ts}.${sig}`, rig.base);
    const hop = await browser.request(toCallback.location!);
    expect(hop.status).toBe(400);
    expect((await signedInAs(browser, rig)).url).toContain('/admin/sign-in');
  });

  it('refuses an ID token the provider signed for another client', async () => {
    const browser = new CookieBrowser();
    const hop = await browser.follow(await signInAtProvider(browser, rig, 'confused'));
    expect(hop.status).toBe(401);
    expect(hop.text).toContain('could not be verified');
    expect((await signedInAs(browser, rig)).url).toContain('/admin/sign-in');
    expect(rig.logs).toContainEqual(expect.objectContaining({ msg: 'console sign-in refused (single sign-on)', reason: expect.stringMatching(/aud/) }));
  });

  it('refuses an account outside OIDC_ALLOWED_DOMAINS, and an email the provider did not verify', async () => {
    for (const login of ['mallory', 'unverified']) {
      const browser = new CookieBrowser();
      const hop = await browser.follow(await signInAtProvider(browser, rig, login));
      expect(hop.status).toBe(403);
      expect(hop.text).toContain('not allowed to use this console');
      expect((await signedInAs(browser, rig)).url).toContain('/admin/sign-in');
    }
    const reasons = rig.logs.filter((l) => l.msg === 'console sign-in refused (single sign-on)').map((l) => String(l.reason));
    expect(reasons).toEqual(expect.arrayContaining([expect.stringContaining('elsewhere.example not in OIDC_ALLOWED_DOMAINS'), expect.stringContaining('email not verified')]));
  });

  it('says the sign-in was cancelled when the admin aborts at the provider', async () => {
    const browser = new CookieBrowser();
    const login = await startSignIn(browser, rig);
    const abort = /href="([^"]*abort[^"]*)"/.exec(login.text)?.[1];
    expect(abort).toBeTruthy();
    const hop = await browser.get(new URL(abort!, login.url).toString());
    expect(hop.status).toBe(401);
    expect(hop.text).toContain('cancelled or refused at the identity provider');
  });

  it('never logs the code, the client secret or a token', async () => {
    const text = JSON.stringify(rig.logs);
    expect(text).not.toContain('test-client-secret');
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT
    expect(text).not.toMatch(/"code":/);
  });
});

describe('console single sign-on with the provider down at start-up', () => {
  let rig: SsoRig;
  beforeAll(async () => {
    rig = await startSsoRig({}, { providerUp: false });
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('still signs the local admin in, and says single sign-on is unavailable', async () => {
    const local = await postSignIn(rig.server.app, { user: USER, password: PASSWORD });
    expect(local.status).toBe(303);
    const res = await request(rig.server.app).get('/admin/oidc/start');
    expect(res.status).toBe(503);
    expect(res.text).toContain('Sign-in with Example SSO is not available right now');
  });
});

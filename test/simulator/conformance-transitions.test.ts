/**
 * Conformance: transitions and the end of a call — goto, submit, URI resolution, cookies,
 * disconnect, exit, the end of a document and failed fetches (VoiceXML 2.0 sections 5.3.7 to
 * 5.3.11, 2.1.6, 5.2.6; VoiceXML 2.1 section 8). Documents: fixtures/conformance/transitions;
 * the server's dynamic routes stand in for an application server.
 */
import {
  call,
  eventNames,
  logs,
  pathOf,
  requestsDuring,
  speech,
  startConformanceServer,
  vxmlRoute,
  xmlEscape,
  type FixtureRequest,
  type FixtureServer,
} from '../helpers/conformance-harness';

let server: FixtureServer;
beforeAll(async () => {
  server = await startConformanceServer({
    // An application server's answer to a submit: says how it was called, then exits.
    '/transitions/echo': vxmlRoute(
      (req) => `<form id="echo"><block><prompt>Echo ${req.method}.</prompt><exit/></block></form>`,
    ),
    '/transitions/moved': () => ({ status: 302, body: '', headers: { location: '/transitions/deep/landing.vxml' } }),
    '/transitions/login': vxmlRoute(
      () => `<form id="login"><block><prompt>Logged in.</prompt><goto next="whoami"/></block></form>`,
      { 'set-cookie': 'session=abc123; Path=/' },
    ),
    '/transitions/whoami': vxmlRoute(
      (req) =>
        `<form id="who"><block><prompt>Cookie ${xmlEscape(req.headers.cookie || 'none')}.</prompt></block></form>`,
    ),
    '/transitions/cleanup': vxmlRoute(() => `<form id="cleanup"><block><exit/></block></form>`),
  });
});
afterAll(() => server.close());

const paths = (requests: FixtureRequest[]) => requests.map(pathOf);

describe('goto (5.3.7)', () => {
  // next="#id" goes to a dialog of the current document (document variables are kept);
  // next with a relative URI and a fragment loads that document and starts at that dialog.
  // A transition ends the executable content it is in ("Not reached").
  test('next="#id" and next="other.vxml#second"', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/transitions/goto.vxml'));
    expect(speech(o)).toBe('Form A. Form B after 1 hop. Other second.');
    expect(paths(requests)).toEqual(['/transitions/goto.vxml', '/transitions/other.vxml']);
    expect(o.reason).toBe('document-end');
  });

  // nextitem: "the next form item to visit in the current form". After it, the FIA selects
  // as usual: the skipped block is still unfilled, so it is visited last.
  test('nextitem jumps over an item that the FIA visits afterwards', async () => {
    const o = await call(server, '/transitions/nextitem.vxml');
    expect(speech(o)).toBe('One. Three. Two.');
  });

  // expr / expritem: the same as next / nextitem, computed by an ECMAScript expression.
  test('expr and expritem', async () => {
    const o = await call(server, '/transitions/expr.vxml');
    expect(speech(o)).toBe('Second form. Block three. Block two.');
    expect(o.reason).toBe('exit');
  });

  // 5.3.7: a goto whose target dialog does not exist throws error.badfetch.
  test('goto a missing #dialog throws error.badfetch', async () => {
    const o = await call(server, '/transitions/goto-missing-dialog.vxml');
    expect(speech(o)).toBe('No such dialog.');
    expect(eventNames(o).some((n) => n.startsWith('error.badfetch'))).toBe(true);
  });

  // 2.1.6.1 (initialization phase, on every entry into the form) and 5.1.2: dialog
  // variables are re-initialized when the form is entered again; document variables live as
  // long as the document is loaded.
  test('re-entering a form resets its variables but not the document ones', async () => {
    const o = await call(server, '/transitions/reenter.vxml');
    expect(speech(o)).toBe('entry 1 local 1. entry 2 local 1.');
    expect(o.reason).toBe('document-end');
  });
});

describe('submit (5.3.8)', () => {
  // "method: get (default) or post"; the namelist's variables are sent as name=value pairs,
  // URL-encoded (application/x-www-form-urlencoded is the default enctype); the response is
  // the next document to run.
  test('method get puts the namelist in the query string', async () => {
    const { result: o, requests } = await requestsDuring(server, () =>
      call(server, '/transitions/submit-get.vxml', ['1234']),
    );
    const echo = requests.find((r) => pathOf(r) === '/transitions/echo');
    expect(echo?.method).toBe('GET');
    const query = new URL(echo!.url, 'http://x').searchParams;
    expect(Object.fromEntries(query)).toEqual({ pin: '1234', note: 'a b&c' });
    expect(speech(o)).toBe('PIN? Echo GET.');
    expect(o.reason).toBe('exit');
  });

  test('without a method, submit uses GET', async () => {
    const { requests } = await requestsDuring(server, () => call(server, '/transitions/submit-default.vxml'));
    const echo = requests.find((r) => pathOf(r) === '/transitions/echo');
    expect(echo?.method).toBe('GET');
    expect(new URL(echo!.url, 'http://x').searchParams.get('answer')).toBe('yes');
  });

  test('method post sends an application/x-www-form-urlencoded body', async () => {
    const { result: o, requests } = await requestsDuring(server, () =>
      call(server, '/transitions/submit-post.vxml', ['1234']),
    );
    const echo = requests.find((r) => pathOf(r) === '/transitions/echo');
    expect(echo?.method).toBe('POST');
    expect(String(echo?.headers['content-type'])).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(echo!.body))).toEqual({ pin: '1234', note: 'a b&c' });
    expect(speech(o)).toBe('PIN? Echo POST.');
  });

  // enctype="multipart/form-data": each variable is a part named after it (RFC 7578).
  test('enctype multipart/form-data sends one part per variable', async () => {
    const { result: o, requests } = await requestsDuring(server, () =>
      call(server, '/transitions/submit-multipart.vxml', ['1234']),
    );
    const echo = requests.find((r) => pathOf(r) === '/transitions/echo');
    expect(echo?.method).toBe('POST');
    const type = String(echo?.headers['content-type']);
    expect(type).toMatch(/^multipart\/form-data;\s*boundary=/);
    const boundary = /boundary=("?)([^";]+)\1/.exec(type)![2];
    const parts = echo!.body.split(`--${boundary}`).slice(1, -1);
    const fields = Object.fromEntries(
      parts.map((p) => {
        const [head, ...rest] = p.replace(/^\r\n/, '').split('\r\n\r\n');
        const name = /name="([^"]+)"/.exec(head)![1];
        return [name, rest.join('\r\n\r\n').replace(/\r\n$/, '')];
      }),
    );
    expect(fields).toEqual({ pin: '1234', note: 'a b&c' });
    expect(speech(o)).toBe('PIN? Echo POST.');
  });
});

describe('URI resolution', () => {
  // RFC 3986 section 5 as required by VoiceXML 2.0 (URIs are resolved against the current
  // document's URI): "../", plain relative and absolute-path references.
  test('relative URIs resolve against the current document', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/transitions/deep/start.vxml'));
    expect(speech(o)).toBe('Deep start. Relative target. Deep finish. Absolute target.');
    expect(paths(requests)).toEqual([
      '/transitions/deep/start.vxml',
      '/transitions/rel-target.vxml',
      '/transitions/deep/finish.vxml',
      '/transitions/abs-target.vxml',
    ]);
  });

  // RFC 3986 5.1.3: after an HTTP redirect the base URI is the URI the document was finally
  // retrieved from (what mainstream browsers, voice and web, do).
  test('after a redirect, relative URIs resolve against the final URI', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/transitions/redirect.vxml'));
    expect(speech(o)).toBe('Landed. Deep finish. Absolute target.');
    expect(paths(requests)).toContain('/transitions/deep/finish.vxml');
  });

  // xml:base on <vxml> (VoiceXML 2.0 1.5.1 / XML Base) sets the base URI of the document.
  test('xml:base changes the base URI', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/transitions/base.vxml'));
    expect(speech(o)).toBe('Deep finish. Absolute target.');
    expect(paths(requests)).toContain('/transitions/deep/finish.vxml');
  });
});

describe('cookies', () => {
  // VoiceXML 2.0 leaves cookie handling to HTTP (RFC 6265); mainstream platforms keep one
  // cookie jar per call: cookies set by the server come back on later requests of the same
  // call, and a new call starts without them.
  test('a cookie set by the server is sent back during the call, and not to the next call', async () => {
    const { result: o, requests } = await requestsDuring(server, () => call(server, '/transitions/login'));
    expect(speech(o)).toBe('Logged in. Cookie session=abc123.');
    const whoami = requests.find((r) => pathOf(r) === '/transitions/whoami');
    expect(String(whoami?.headers.cookie)).toContain('session=abc123');

    const next = await call(server, '/transitions/whoami');
    expect(speech(next)).toBe('Cookie none.');
  });

  // RFC 6265 4.2.1: cookie-header = "Cookie:" OWS cookie-string OWS, and a cookie-string has
  // at least one cookie-pair: with an empty jar no Cookie header is sent at all.
  test('no (empty) Cookie header before the server set a cookie', async () => {
    const { requests } = await requestsDuring(server, () => call(server, '/transitions/end.vxml', ['1']));
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers).not.toHaveProperty('cookie');
  });
});

describe('the end of a call', () => {
  // VoiceXML 2.1 section 8 "Adding namelist to <disconnect>": the named variables are
  // returned to the platform; 5.3.11: disconnect ends the interaction with the caller.
  test('disconnect namelist: reason disconnect with the values', async () => {
    const o = await call(server, '/transitions/disconnect.vxml');
    expect(o.reason).toBe('disconnect');
    expect(o.normal).toBe(true);
    expect(o.values).toEqual({ status: 'done', code: 7 });
    expect(speech(o)).toBe('Goodbye.');
  });

  // 5.3.11: "<disconnect> ... causes the interpreter context to throw a
  // connection.disconnect.hangup event", which the document may catch to clean up (a submit
  // to the server is the classic use).
  test('disconnect throws connection.disconnect.hangup, which may submit a report', async () => {
    const { result: o, requests } = await requestsDuring(server, () =>
      call(server, '/transitions/disconnect-cleanup.vxml'),
    );
    expect(eventNames(o)).toContain('connection.disconnect.hangup');
    const cleanup = requests.find((r) => pathOf(r) === '/transitions/cleanup');
    expect(cleanup?.method).toBe('POST');
    expect(cleanup?.body).toBe('status=bye');
    expect(o.normal).toBe(true);
    expect(['disconnect', 'exit']).toContain(o.reason);
  });

  // 5.3.9 <exit namelist>: the named variables are returned to the interpreter context.
  test('exit namelist', async () => {
    const o = await call(server, '/transitions/exit-namelist.vxml');
    expect(o.reason).toBe('exit');
    expect(o.normal).toBe(true);
    expect(o.values).toEqual({ a: 'x', b: 2 });
    expect(speech(o)).toBe('Leaving.');
  });

  // 5.3.9 <exit expr>: an expression whose value is returned (how the project names it in
  // `values` is its own choice, so only the value is checked).
  test('exit expr', async () => {
    const o = await call(server, '/transitions/exit-expr.vxml');
    expect(o.reason).toBe('exit');
    expect(Object.values(o.values ?? {})).toContain('bye');
  });

  // 2.1.6 / Appendix C: when no form item is eligible the form and the document end (an
  // implicit exit) — the project's reason 'document-end'.
  test('a form that runs out of items ends the document', async () => {
    const o = await call(server, '/transitions/end.vxml', ['1']);
    expect(speech(o)).toBe('Press 1. Thank you.');
    expect(o.reason).toBe('document-end');
    expect(o.normal).toBe(true);
  });
});

describe('failed fetches (5.2.6 error.badfetch)', () => {
  // 5.2.6: a document that cannot be fetched raises error.badfetch in the document that
  // asked for it; 5.2.4: the application root's catch handles it for the leaf.
  test('a missing document is error.badfetch, caught by the application root', async () => {
    const { result: o, requests } = await requestsDuring(server, () =>
      call(server, '/transitions/missing-handled.vxml'),
    );
    expect(speech(o)).toBe('Root could not fetch.');
    expect(logs(o).find((l) => l.label === 'badfetch')?.text).toMatch(/^error\.badfetch/);
    expect(paths(requests)).toContain('/transitions/nowhere.vxml');
    expect(o.reason).toBe('exit');
  });

  // 5.2.5: no handler → the default for error.* exits the interpreter: reason 'error'.
  test('a missing document with no handler ends the call with reason error', async () => {
    const o = await call(server, '/transitions/missing-unhandled.vxml');
    expect(o.reason).toBe('error');
    expect(o.normal).toBe(false);
    expect(o.event).toMatch(/^error\.badfetch/);
  });

  // Not in W3C (there is no document to raise the event in): a start URL that cannot be
  // fetched ends the call as an error.badfetch.
  test('a missing start document ends the call with reason error', async () => {
    const o = await call(server, '/transitions/no-such-start.vxml');
    expect(o.reason).toBe('error');
    expect(o.event).toMatch(/^error\.badfetch/);
  });
});

/**
 * The README's promise to IVR platforms, under fire: "Bad input of any kind (XML
 * metacharacters, 10 KB or repeated parameters, bytes that are not UTF-8, wrong methods
 * or content types, unknown call ids) gets HTTP 200 and a valid document that ends the
 * call politely."
 *
 * At least 10,000 malformed requests (FAULTS_FUZZ_REQUESTS), spread evenly over every
 * IVR endpoint, go over bare sockets to the real server process: random and invalid UTF-8
 * bytes, huge and repeated parameters, XML metacharacters, wrong and unknown methods,
 * wrong content types and encodings, broken framing, huge headers, pipelining, truncated
 * requests. They are generated from a fixed seed (FAULTS_SEED; printed), so a failure can
 * be replayed request for request. The step endpoints get the ids of real calls in every
 * state as well as made-up ones.
 *
 * Every answer must be: never a 5xx; 200 with a VoiceXML document (the hold audio for the
 * audio URL) that is schema-valid; or one of the few refusals listed in REFUSALS, which
 * Node's HTTP server makes before our code sees the request. The server must log no
 * error and still walk a whole call afterwards.
 */
import zlib from 'node:zlib';
import { cleanUpProcesses } from '../helpers/server-process';
import { schemaAvailable, vxmlSchemaErrors } from '../helpers/vxml-schema';
import { exchange, type RawExchange, type RawRequest } from './raw-http';
import {
  DNIS,
  Rng,
  SENT_PROMPT,
  bulkTextingEnv,
  callerNumber,
  deflect,
  envNumber,
  errorLogLines,
  inPool,
  latency,
  nextUrl,
  startServer,
} from './support';

const SEED = envNumber('FAULTS_SEED', 20_260_117);
const REQUESTS = envNumber('FAULTS_FUZZ_REQUESTS', 12_000);
const CONCURRENCY = 32;
const ANSWER_TIMEOUT_MS = 10_000;
const VXML_TYPE = 'application/voicexml+xml; charset=utf-8';

/** Every URL an IVR platform may be pointed at or sent to; "unknown" is any other path under /vxml/. */
const TARGETS = ['start', 'offer', 'number', 'confirm', 'giveup', 'root.vxml', 'audio/hold.wav', 'unknown'] as const;
type Target = (typeof TARGETS)[number];

/**
 * The answers other than 200 that a request may get, by what was done to it: Node's HTTP
 * server refusing before our code runs, or bytes its parser rejects that do not read as an
 * IVR request (src/http/client-errors.ts answers those with a plain 400, as Node would).
 * Huge headers and request lines are not here: on an IVR path they get the hand-back
 * document (200), not Node's 431.
 */
const REFUSALS = {
  // Node destroys the socket of a CONNECT request when nothing listens for 'connect'.
  CONNECT: { unanswered: true },
  // HTTP/1.1 requires Host; Node answers 400 before the request reaches Express.
  'no Host header': { status: 400 },
  // Node answers 417 to an Expect other than 100-continue.
  'unknown Expect': { status: 417 },
  // The client sent part of a request and closed its side: Node answers 400 or just closes.
  truncated: { status: 400, unanswered: true },
  // The bytes past Content-Length are a second request, and not a well-formed one: its
  // parse error gets the plain 400 (it is not an IVR request), which can go out before the
  // first request's answer and close the connection.
  'body longer than Content-Length': { status: 400 },
  // Node's parser stops at the head of a request asking for an Upgrade; with nothing
  // listening for 'upgrade' the request is served as usual, but a malformed chunked body
  // then raises no parse error and never ends: no answer until the client gives up (or
  // the server's requestTimeout). A bare node:http server does the same.
  'Upgrade with a malformed body': { unanswered: true },
} as const satisfies Record<string, { status?: number; unanswered?: boolean }>;
type Refusal = keyof typeof REFUSALS;

interface FuzzCase extends RawRequest {
  target: Target;
  /** What was done to the request: for the figures, and to say which refusals it may get. */
  mutations: string[];
  refusals: Refusal[];
}

/** Ids of real calls in each state, so step requests reach the call flow and not only "unknown call". */
type CallPool = readonly string[];

// ---------------------------------------------------------------------------------------
// The generator.

const XML_META = [`<vxml>&amp;"'</vxml>]]><!--`, ']]>', '<![CDATA[x]]>', '&#0;', '&#xD800;', '"/><goto next="http://evil.example"/><x a="', '<?xml version="1.0"?>', '&', '<', "'", '"'];
const SCRIPTS = [`'; throw 'x'; '`, '${7*7}', '{{7*7}}', '<script>alert(1)</script>', '__proto__', 'constructor', '../../etc/passwd', 'NaN', '-1', '1e309'];
const UNICODE = ['ñ', '📞', '\u202e', '\ufeff', '\ufffd', 'ﬀ', '١٢٣٤', '\u0000', '\r\n', '\u001b[31m'];
const NAMES = ['dnis', 'ani', 'callid', 'mode', 'call', 'answer', 'reason', 'campaign', '', 'x', 'DNIS', 'dnis[]', 'call[0]', '__proto__', 'constructor', 'toString', '%64nis', 'a&b', 'answer%00'];
const METHODS_ODD = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'LINK'];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/x-www-form-urlencoded; charset=klingon',
  'application/x-www-form-urlencoded, text/plain',
  'application/json',
  'text/xml',
  'application/voicexml+xml',
  'multipart/form-data; boundary=fuzz',
  'multipart/form-data',
  'text/plain',
  'application/octet-stream',
  '',
  '%%%/;;',
  `application/x-www-form-urlencoded; ${'q=1; '.repeat(500)}`,
];

const enc = (text: string) => Buffer.from(encodeURIComponent(text));

/** A parameter value as it goes into a query string or form body: often encoded, sometimes deliberately not. */
function fuzzValue(rng: Rng): { value: Buffer; mutation: string } {
  switch (rng.int(0, 9)) {
    case 0:
      return { value: rng.chance(0.7) ? enc(rng.pick(XML_META)) : Buffer.from(rng.pick(XML_META)), mutation: 'XML metacharacters' };
    case 1: {
      const bytes = rng.bytes(rng.int(1, 16), 0x80, 0xff);
      return { value: Buffer.from([...bytes].map((b) => `%${b.toString(16).toUpperCase()}`).join('')), mutation: 'invalid UTF-8 (encoded)' };
    }
    case 2:
      return { value: rng.bytes(rng.int(1, 16), 0x80, 0xff), mutation: 'raw non-ASCII bytes' };
    case 3:
      return { value: rng.chance(0.5) ? enc(rng.pick(UNICODE)) : rng.bytes(rng.int(1, 4), 0, 0x1f), mutation: 'control characters' };
    case 4: {
      const length = rng.pick([300, 1024, 10 * 1024, 17 * 1024, 64 * 1024]);
      return { value: Buffer.from(rng.pick(['A', '9', '%41', '<']).repeat(length)), mutation: 'huge value' };
    }
    case 5:
      return { value: Buffer.from(rng.pick(['%', '%Z', '%E0%A4', '%%%', '%u0041', '%C0%AE', '%ED%A0%80'])), mutation: 'malformed percent-encoding' };
    case 6:
      return { value: enc(rng.pick(UNICODE) + rng.pick(UNICODE)), mutation: 'unicode' };
    case 7:
      return { value: enc(rng.pick(SCRIPTS)), mutation: 'script and template text' };
    case 8:
      return { value: Buffer.alloc(0), mutation: 'empty value' };
    default:
      return { value: rng.bytes(rng.int(1, 40), 0x21, 0x7e), mutation: 'random ASCII' };
  }
}

/** The parameters the target reads, with plausible values, so requests get past "no such call". */
function naturalParams(rng: Rng, target: Target, pool: CallPool): [string, string][] {
  const mode: [string, string][] = rng.chance(0.2) ? [['mode', rng.pick(['subdialog', 'goto', 'SUBDIALOG', 'x'])]] : [];
  const call = (): [string, string] => ['call', rng.chance(0.75) ? rng.pick(pool) : rng.pick(['', 'x', 'A'.repeat(22), rng.pick(pool).slice(0, -1)])];
  switch (target) {
    case 'start':
      return [
        ['dnis', rng.pick([DNIS, '8005550100', 'tel:+18005550100', 'sip:+18005550100@gw;user=phone', '+1 (800) 555-0100', '+18005550199'])],
        ['ani', rng.pick([callerNumber(2, rng.int(0, 9999)), '6175551234', 'anonymous', '+18885550123', '+442071234567', ''])],
        ['callid', `fuzz-${rng.int(0, 1e6)}`],
        ...mode,
      ];
    case 'offer':
    case 'number':
    case 'confirm':
      return [call(), ['answer', rng.pick(['1', '2', '3', '#', '*', '6175551234', `617${rng.int(2_000_000, 9_999_999)}#`, '1234567890123456789012'])], ...mode];
    case 'giveup':
      return [call(), ['reason', rng.pick(['no-input', 'no-match', 'hung-up', 'x'])], ...mode];
    case 'root.vxml':
      return [['campaign', rng.pick(['example-support', 'nope', ''])], ...mode];
    default:
      return mode;
  }
}

/** name=value pairs: the target's own (usually), then noise; sometimes one repeated hundreds of times. */
function fuzzParams(rng: Rng, target: Target, pool: CallPool, mutations: string[]): Buffer {
  const pairs: Buffer[] = [];
  if (rng.chance(0.7)) {
    for (const [name, value] of naturalParams(rng, target, pool)) pairs.push(Buffer.from(`${name}=${encodeURIComponent(value)}`));
  }
  for (let i = rng.int(0, 4); i > 0; i--) {
    const { value, mutation } = fuzzValue(rng);
    mutations.push(mutation);
    pairs.push(Buffer.concat([Buffer.from(`${rng.pick(NAMES)}=`), value]));
  }
  if (pairs.length && rng.chance(0.15)) {
    const repeated = rng.pick(pairs);
    for (let i = rng.int(2, 300); i > 0; i--) pairs.push(repeated);
    mutations.push('repeated parameter');
  }
  const separator = Buffer.from(rng.chance(0.05) ? ';' : '&');
  return Buffer.concat(pairs.flatMap((pair, i) => (i ? [separator, pair] : [pair])));
}

function fuzzPath(rng: Rng, target: Target, mutations: string[]): string {
  const name =
    target === 'unknown'
      ? rng.pick(['', 'nope', 'start.php', 'offer/extra', '..%2f..%2fetc%2fpasswd', 'admin', 'root.vxm', encodeURIComponent(rng.bytes(6, 0x21, 0xff).toString('latin1'))])
      : target;
  if (rng.chance(0.8)) return `/vxml/${name}`;
  mutations.push('odd path');
  return rng.pick([
    `/vxml/${name}/`,
    `/vxml/${name};jsessionid=0123`,
    `/vxml/./${name}`,
    `/vxml/${name.replace(/^./, (c) => `%${c.charCodeAt(0).toString(16)}`)}`,
    `/vxml/${name}%00`,
    `/vxml/${name}#fragment`,
  ]);
}

function fuzzMethod(rng: Rng, mutations: string[], refusals: Refusal[]): string {
  const roll = rng.next();
  if (roll < 0.35) return 'GET';
  if (roll < 0.7) return 'POST';
  mutations.push('wrong method');
  if (roll < 0.75) return 'HEAD';
  if (roll < 0.9) return rng.pick(METHODS_ODD);
  if (roll < 0.96) return rng.pick(['FUZZ', 'BREW', 'X'.repeat(rng.int(20, 300))]);
  // Not capital letters: Node's parser refuses them; the hand-back document answers.
  if (roll < 0.985) return rng.pick(['get', 'post', 'Get', 'G3T']);
  refusals.push('CONNECT');
  return 'CONNECT';
}

/** A body and the headers that describe it (or misdescribe it). */
function fuzzBody(rng: Rng, target: Target, pool: CallPool, mutations: string[], refusals: Refusal[]): { headers: string[]; body: Buffer; halfClose: boolean } {
  let body: Buffer;
  let type: string;
  const headers: string[] = [];
  const kind = rng.next();
  if (kind < 0.4) {
    body = fuzzParams(rng, target, pool, mutations);
    type = 'application/x-www-form-urlencoded';
  } else if (kind < 0.48) {
    body = Buffer.from(`dnis=${'9'.repeat(rng.int(17_000, 300_000))}`);
    type = 'application/x-www-form-urlencoded';
    mutations.push('huge body');
  } else if (kind < 0.55) {
    body = Buffer.from(Array.from({ length: rng.int(51, 3000) }, (_, i) => `p${i % 7}=1`).join('&'));
    type = 'application/x-www-form-urlencoded';
    mutations.push('too many parameters');
  } else if (kind < 0.65) {
    body = rng.bytes(rng.int(1, 4096));
    type = 'application/octet-stream';
    mutations.push('random bytes');
  } else if (kind < 0.72) {
    body = Buffer.from(rng.pick(['{"dnis": "8005550100"', '{"call": {"$ne": null}}', '[]', 'null', `{"answer": "${'1'.repeat(5000)}"}`]));
    type = 'application/json';
    mutations.push('JSON body');
  } else if (kind < 0.79) {
    body = Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
    type = 'text/xml';
    mutations.push('XML body');
  } else if (kind < 0.87) {
    const field = (name: string, value: string) => `--fuzz\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    body = Buffer.from(rng.chance(0.6) ? `${field('dnis', DNIS)}${field('answer', '1')}--fuzz--` : `--fuzz\r\nContent-Disposition: form-data; name="x"\r\n\r\n${'y'.repeat(rng.int(0, 100))}`);
    type = 'multipart/form-data; boundary=fuzz';
    mutations.push('multipart body');
  } else if (kind < 0.93) {
    const form = fuzzParams(rng, target, pool, mutations);
    body = rng.chance(0.5) ? zlib.gzipSync(form) : rng.chance(0.5) ? rng.bytes(rng.int(1, 64)) : zlib.gzipSync(form).subarray(0, 12);
    type = 'application/x-www-form-urlencoded';
    headers.push(`Content-Encoding: ${rng.pick(['gzip', 'gzip', 'deflate', 'br', 'identity', 'bogus'])}`);
    mutations.push('content encoding');
  } else {
    body = Buffer.alloc(0);
    type = 'application/x-www-form-urlencoded';
  }
  if (rng.chance(0.3)) {
    type = rng.pick(CONTENT_TYPES);
    mutations.push('wrong content type');
  }
  if (type) headers.push(`Content-Type: ${type}`);

  const framing = rng.next();
  let halfClose = false;
  if (framing < 0.82) {
    headers.push(`Content-Length: ${body.length}`);
  } else if (framing < 0.9) {
    headers.push('Transfer-Encoding: chunked');
    mutations.push('chunked');
    if (rng.chance(0.25)) {
      mutations.push('invalid chunk size');
      body = Buffer.concat([Buffer.from('ZZ\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]);
    } else {
      const chunks: Buffer[] = [];
      for (let at = 0; at < body.length; ) {
        const size = Math.min(body.length - at, rng.int(1, 2048));
        chunks.push(Buffer.from(`${size.toString(16)}\r\n`), body.subarray(at, at + size), Buffer.from('\r\n'));
        at += size;
      }
      body = Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')]);
    }
  } else if (framing < 0.93) {
    headers.push(`Content-Length: ${body.length + rng.int(1, 1000)}`);
    halfClose = true;
    refusals.push('truncated');
    mutations.push('truncated body');
  } else if (framing < 0.96) {
    headers.push(`Content-Length: ${rng.int(0, Math.max(0, body.length - 1))}`);
    refusals.push('body longer than Content-Length');
    mutations.push('body longer than Content-Length');
  } else if (framing < 0.98) {
    headers.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
    mutations.push('two Content-Lengths');
  } else {
    headers.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
    mutations.push('Content-Length with chunked');
  }
  return { headers, body, halfClose };
}

/** Headers that are huge, many, badly encoded, or ask for things the server will not do. */
function fuzzHeaders(rng: Rng, mutations: string[], refusals: Refusal[]): string[] {
  const headers: string[] = [];
  const add = (p: number, mutation: string, make: () => string[], refusal?: Refusal) => {
    if (!rng.chance(p)) return;
    headers.push(...make());
    mutations.push(mutation);
    if (refusal) refusals.push(refusal);
  };
  add(0.05, 'huge header', () => [`X-Fuzz: ${'a'.repeat(rng.int(9_000, 80_000))}`]);
  add(0.03, 'many headers', () => Array.from({ length: rng.int(100, 3000) }, (_, i) => `X-Fuzz-${i}: ${i}`));
  add(0.04, 'non-ASCII header value', () => [`X-Fuzz: ${rng.bytes(rng.int(1, 20), 0x80, 0xff).toString('latin1')}`]);
  add(0.02, 'control character in a header', () => [`X-Fuzz: a${rng.pick(['\u0000', '\r', '\u0001'])}b`]);
  add(0.02, 'invalid header name', () => [rng.pick(['Bad Header: x', 'X(): y', ': empty', 'Ñ: y'])]);
  add(0.03, 'Expect: 100-continue', () => ['Expect: 100-continue']);
  add(0.02, 'unknown Expect', () => [`Expect: ${rng.pick(['teapot', '200-ok', 'x'])}`], 'unknown Expect');
  add(0.02, 'Upgrade', () => ['Connection: Upgrade', 'Upgrade: websocket']);
  add(0.03, 'junk cookie', () => [`Cookie: ${rng.bytes(rng.int(1, 200), 0x21, 0x7e).toString('latin1')}`]);
  add(0.03, 'junk Accept', () => [`Accept: ${rng.pick(['*/*;q=x', '<x>', 'text/html;;;', ''])}`, 'Accept-Charset: klingon']);
  add(0.02, 'junk X-Forwarded-For', () => ['X-Forwarded-For: <script>, 999.999.999.999, ::g']);
  return headers;
}

function fuzzCase(rng: Rng, target: Target, pool: CallPool): FuzzCase {
  const mutations: string[] = [];
  const refusals: Refusal[] = [];

  if (rng.chance(0.03)) {
    // Pipelined: several well-formed requests in one write, the last one closing. (One
    // the parser rejects would end the connection, and the rest would rightly go unanswered.)
    const count = rng.int(2, 4);
    const methods: string[] = [];
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const query = new URLSearchParams(naturalParams(rng, target, pool)).toString();
      const last = i === count - 1;
      methods.push('GET');
      parts.push(Buffer.from(`GET /vxml/${target === 'unknown' ? 'nope' : target}?${query} HTTP/1.1\r\nHost: x\r\n${last ? 'Connection: close\r\n' : ''}\r\n`));
    }
    mutations.push('pipelined');
    return { target, mutations, refusals, methods, bytes: Buffer.concat(parts), halfClose: false };
  }

  const eol = rng.chance(0.03) ? '\n' : '\r\n';
  if (eol === '\n') mutations.push('bare LF line endings');
  const method = fuzzMethod(rng, mutations, refusals);
  const query = rng.chance(0.75) ? Buffer.concat([Buffer.from('?'), fuzzParams(rng, target, pool, mutations)]) : Buffer.alloc(0);
  const version = rng.chance(0.9) ? 'HTTP/1.1' : rng.chance(0.7) ? 'HTTP/1.0' : rng.pick(['HTTP/9.9', 'HTTP/1.1x', 'FOO', '']);
  if (version !== 'HTTP/1.1') mutations.push(version === 'HTTP/1.0' ? 'HTTP/1.0' : 'bad HTTP version');

  const headers: string[] = [];
  if (rng.chance(0.97)) {
    headers.push(`Host: ${rng.chance(0.95) ? '127.0.0.1' : rng.pick(['<x>', '', 'a'.repeat(300)])}`);
  } else if (version === 'HTTP/1.1') {
    refusals.push('no Host header');
    mutations.push('no Host header');
  }
  headers.push(rng.chance(0.85) ? 'Connection: close' : 'Connection: keep-alive');
  headers.push(...fuzzHeaders(rng, mutations, refusals));

  let body: Buffer = Buffer.alloc(0);
  let halfClose = false;
  if (rng.chance(method === 'POST' ? 0.8 : 0.15)) {
    const fuzzed = fuzzBody(rng, target, pool, mutations, refusals);
    headers.push(...fuzzed.headers);
    body = fuzzed.body;
    halfClose = fuzzed.halfClose;
  } else if (rng.chance(0.05)) {
    headers.push(`Content-Length: ${rng.pick(['0', 'abc', '-1', '99999999999999999999'])}`);
    mutations.push('odd Content-Length');
  }
  if (mutations.includes('Upgrade') && mutations.includes('invalid chunk size')) refusals.push('Upgrade with a malformed body');
  const truncatedHead = !halfClose && rng.chance(0.02);
  if (truncatedHead) {
    // The request head itself cut short.
    halfClose = true;
    refusals.push('truncated');
    mutations.push('truncated head');
  }

  const head = Buffer.concat([Buffer.from(`${method} ${fuzzPath(rng, target, mutations)}`), query, Buffer.from(` ${version}${eol}${headers.map((h) => `${h}${eol}`).join('')}${eol}`, 'latin1')]);
  const bytes = truncatedHead ? head.subarray(0, rng.int(1, head.length - 1)) : Buffer.concat([head, body]);
  return { target, mutations, refusals, methods: [method.toUpperCase()], bytes, halfClose };
}

// ---------------------------------------------------------------------------------------
// Judging the answers.

interface Verdict {
  /** For the figures: "200", "400", "no answer"... */
  outcome: string;
  problem?: string;
  /** VoiceXML documents received, to be validated by shape. */
  documents: string[];
}

function judgeExchange(fuzz: FuzzCase, answer: RawExchange): Verdict {
  const allowed = fuzz.refusals.map((r) => REFUSALS[r] as { status?: number; unanswered?: boolean });
  if (answer.responses.length === 0) {
    const outcome = 'no answer';
    if (allowed.some((a) => a.unanswered)) return { outcome, documents: [] };
    return { outcome, documents: [], problem: `no answer (${answer.timedOut ? 'timed out' : (answer.error ?? 'connection closed')})` };
  }
  const documents: string[] = [];
  const problems: string[] = [];
  answer.responses.slice(0, fuzz.methods.length).forEach((res, i) => {
    const method = fuzz.methods[i];
    if (res.status !== 200) {
      if (res.status >= 500 || !allowed.some((a) => a.status === res.status)) problems.push(`status ${res.status}`);
      return;
    }
    const type = res.headers['content-type'] ?? '';
    if (type === 'audio/wav') {
      const hold = fuzz.target === 'audio/hold.wav' && (method === 'GET' || method === 'HEAD');
      if (!hold || (method === 'GET' && res.body.subarray(0, 4).toString('latin1') !== 'RIFF')) problems.push('unexpected audio answer');
      return;
    }
    if (type !== VXML_TYPE) problems.push(`200 with Content-Type "${type}"`);
    else if (method !== 'HEAD') documents.push(res.body.toString('utf8'));
  });
  if (answer.responses.length < fuzz.methods.length && !allowed.some((a) => a.unanswered)) {
    problems.push(`${answer.responses.length} answers to ${fuzz.methods.length} pipelined requests`);
  }
  const outcome = answer.responses.map((r) => String(r.status)).join('+');
  return { outcome, documents, ...(problems.length ? { problem: problems.join('; ') } : {}) };
}

/**
 * Documents of the same shape differ only in call ids and digit runs (masked numbers,
 * read-backs), which cannot make one valid and another not: validating one of each shape
 * covers them all, and thousands of answers become a few dozen schema checks.
 */
function shapeOf(xml: string): string {
  return xml.replace(/call=[A-Za-z0-9_-]+/g, 'call=ID').replace(/\d{4,}/g, '0000');
}

// ---------------------------------------------------------------------------------------

afterAll(cleanUpProcesses);

/** Calls offered, confirming the caller's number, waiting for a typed number, and finished. */
async function makeCallPool(baseUrl: string): Promise<CallPool> {
  const ids: string[] = [];
  const post = (url: string) => fetch(url, { method: 'POST', body: 'answer=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then((r) => r.text());
  await inPool(Array.from({ length: 160 }, (_, i) => i), 16, async (i) => {
    const ani = i % 4 === 2 ? '+18885550123' : callerNumber(1, i);
    const startUrl = `${baseUrl}/vxml/start?dnis=${encodeURIComponent(DNIS)}&ani=${encodeURIComponent(ani)}${i % 8 === 5 ? '&mode=subdialog' : ''}`;
    const offer = await (await fetch(startUrl)).text();
    const id = /call=([A-Za-z0-9_-]+)/.exec(offer)?.[1];
    if (!id) throw new Error(`no call id in the offer:\n${offer}`);
    ids.push(id);
    if (i % 4 === 0) return;
    const next = await post(nextUrl(offer, startUrl));
    if (i % 4 === 3) await post(nextUrl(next, nextUrl(offer, startUrl)));
  });
  return ids;
}

it(`answers ${REQUESTS} malformed requests to every IVR endpoint without a 5xx, each 200 a valid VoiceXML document`, async () => {
  // The fuzzer confirms numbers of one range in bulk: the texting limits are not what it
  // tests (the pumping run does), and their refusals are error-level log lines by design.
  const server = await startServer(bulkTextingEnv());
  const port = Number(new URL(server.baseUrl).port);
  const pool = await makeCallPool(server.baseUrl);

  const rng = new Rng(SEED);
  const cases = Array.from({ length: REQUESTS }, (_, i) => fuzzCase(rng, TARGETS[i % TARGETS.length] as Target, pool));
  console.log(`fuzz: seed ${SEED} (FAULTS_SEED), ${REQUESTS} requests (FAULTS_FUZZ_REQUESTS), ${CONCURRENCY} at a time, ${pool.length} real calls in the pool`);

  const byTarget = new Map<Target, Map<string, number>>();
  const mutationCounts = new Map<string, number>();
  const shapes = new Map<string, { xml: string; target: Target; mutations: string[] }>();
  const failures: string[] = [];
  const times: number[] = [];
  let documents = 0;
  const started = performance.now();
  await inPool(cases, CONCURRENCY, async (fuzz, index) => {
    const answer = await exchange(port, fuzz, ANSWER_TIMEOUT_MS);
    times.push(answer.ms);
    const verdict = judgeExchange(fuzz, answer);
    const counts = byTarget.get(fuzz.target) ?? new Map<string, number>();
    counts.set(verdict.outcome, (counts.get(verdict.outcome) ?? 0) + 1);
    byTarget.set(fuzz.target, counts);
    for (const m of new Set(fuzz.mutations)) mutationCounts.set(m, (mutationCounts.get(m) ?? 0) + 1);
    for (const xml of verdict.documents) {
      documents++;
      const shape = shapeOf(xml);
      if (!shapes.has(shape)) shapes.set(shape, { xml, target: fuzz.target, mutations: fuzz.mutations });
    }
    if (verdict.problem) {
      failures.push(`#${index} ${fuzz.target} [${fuzz.mutations.join(', ')}]: ${verdict.problem}; request began ${JSON.stringify(fuzz.bytes.subarray(0, 160).toString('latin1'))}`);
    }
  });
  const seconds = (performance.now() - started) / 1000;

  const invalid: string[] = [];
  for (const { xml, target, mutations } of shapes.values()) {
    const errors = await vxmlSchemaErrors(xml);
    if (errors.length) invalid.push(`${target} [${mutations.join(', ')}]: ${errors.slice(0, 3).join('; ')}\n${xml}`);
  }

  console.log(
    [
      `fuzz: ${REQUESTS} requests in ${seconds.toFixed(1)} s (${Math.round(REQUESTS / seconds)}/s; answer ${latency(times)})`,
      ...TARGETS.map((t) => {
        const counts = [...(byTarget.get(t) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]);
        return `  /vxml/${t === 'unknown' ? '<unknown>' : t}: ${counts.reduce((n, [, c]) => n + c, 0)} requests; ${counts.map(([s, c]) => `${s}: ${c}`).join(', ')}`;
      }),
      `  mutations (requests with each): ${[...mutationCounts.entries()].sort((a, b) => b[1] - a[1]).map(([m, c]) => `${m} ${c}`).join(', ')}`,
      `  ${documents} VoiceXML documents in ${shapes.size} shapes, ${schemaAvailable ? `each shape schema-validated: ${invalid.length} invalid` : 'NOT schema-validated (no schema: see the notice)'}`,
      `  ${failures.length} unexpected answers`,
    ].join('\n'),
  );

  expect(failures.slice(0, 20)).toEqual([]);
  expect(invalid.slice(0, 5)).toEqual([]);

  // Still up and still serving callers: a whole deflection, the text sent.
  expect(server.process.hasExited).toBe(false);
  const ending = await deflect(server.baseUrl, callerNumber(3, 1));
  expect(ending).toContain(SENT_PROMPT);
  // handBackOnError turns any exception into a polite 200: the log is where a fault would show.
  expect(errorLogLines(server.process)).toEqual([]);
});

import type { Express } from 'express';
import request from 'supertest';
import { create } from 'xmlbuilder2';
import { expectValidVxml, expectValidVxmlAfterTest } from './vxml-schema';

type Element = {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<Element>;
  parentNode: Element | null;
  localName: string;
  textContent: string | null;
};

export interface Ending {
  kind: 'disconnect' | 'exit' | 'return' | 'goto';
  url?: string;
  result: Record<string, string>;
}

/**
 * Drives calls through the real HTTP app the way a VoiceXML browser would: it reads each
 * document, follows its <submit> URLs (relative to the document's own URL) and posts the
 * namelist. Every document it receives is checked for status, headers and schema
 * validity, so a test that walks a call has validated every page of it: status and
 * headers at once, the schema when the test ends (all its pages in one xmllint run; a
 * page that is not valid fails the test then, see test/helpers/check-deferred-vxml.ts).
 */
export class IvrCaller {
  url = '';
  xml = '';
  readonly documents: string[] = [];

  /**
   * The app itself, or the base URL of a listening server (real sockets, real concurrency).
   * With enctype multipart/form-data every POST is sent as a multipart form, as a platform
   * whose documents say <submit enctype="multipart/form-data"> would.
   */
  constructor(
    private readonly app: Express | string,
    private readonly options: { enctype?: 'application/x-www-form-urlencoded' | 'multipart/form-data' } = {},
  ) {}

  async start(params: Record<string, string>, options: { method?: 'get' | 'post'; mode?: 'subdialog' } = {}) {
    const query = new URLSearchParams(options.mode ? { ...params, mode: options.mode } : params);
    return options.method === 'post'
      ? this.fetch('post', '/vxml/start', query.toString())
      : this.fetch('get', `/vxml/start?${query}`);
  }

  /** Posts a submit as a browser holding some earlier document of the call would. */
  async submit(path: string, values: Record<string, string>) {
    return this.fetch('post', path, new URLSearchParams(values).toString());
  }

  /** The caller keys in an answer to the current question. */
  async press(answer: string) {
    const submit = this.single(this.elements('filled')).getElementsByTagName('submit')[0];
    if (!submit) throw new Error(`no <filled><submit> in:\n${this.xml}`);
    return this.follow(submit, { answer });
  }

  /** The caller stays silent (or keeps pressing wrong keys) until the browser gives up. */
  async giveUp(event: 'noinput' | 'nomatch') {
    const handlers = this.elements(event);
    const last = handlers[handlers.length - 1];
    const submit = last?.getElementsByTagName('submit')[0];
    if (!submit) throw new Error(`no <${event}> that submits in:\n${this.xml}`);
    return this.follow(submit, {});
  }

  /** The caller hangs up; the browser reports it from the form's hang-up handler. */
  async hangUp() {
    const handler = this.elements('catch').find((c) => c.getAttribute('event') === 'connection.disconnect.hangup');
    const submit = handler?.getElementsByTagName('submit')[0];
    if (!submit) throw new Error(`no hang-up handler that submits in:\n${this.xml}`);
    return this.follow(submit, {});
  }

  /** Repeats the last request, as an IVR platform retrying a submit does. */
  private lastRequest?: { method: 'get' | 'post'; path: string; body?: string };
  async repeat() {
    if (!this.lastRequest) throw new Error('nothing to repeat');
    const { method, path, body } = this.lastRequest;
    return this.fetch(method, path, body);
  }

  /** What the caller hears first: prompt text outside the noinput/nomatch handlers. */
  prompts(): string {
    const inHandler = (e: Element) => ['noinput', 'nomatch'].includes(e.parentNode?.localName ?? '');
    return Array.from(this.elements('prompt'))
      .filter((p) => !inHandler(p))
      .map((p) => p.textContent ?? '')
      .join(' ')
      .replace(/\s+/g, ' ')
      .replace(/ ([.,])/g, '$1')
      .trim();
  }

  /** Digits spoken with <say-as interpret-as="vxml:digits">. */
  spokenDigits(): string[] {
    return Array.from(this.elements('say-as')).map((e) => e.textContent ?? '');
  }

  isQuestion(): boolean {
    return this.elements('field').length > 0;
  }

  /** How the current document ends the dialog, with the result variables it declares (each page stands alone). */
  ending(): Ending {
    const result: Record<string, string> = {};
    const root = this.root();
    for (const declared of Array.from(root.getElementsByTagName('var')).filter((v) => v.parentNode === root)) {
      const expr = declared.getAttribute('expr') ?? '';
      result[declared.getAttribute('name') ?? ''] = expr.replace(/^'(.*)'$/, '$1');
    }
    const block = this.elements('block');
    const last = block[block.length - 1];
    for (const kind of ['disconnect', 'exit', 'return'] as const) {
      if (last?.getElementsByTagName(kind).length) return { kind, result };
    }
    const submit = last?.getElementsByTagName('submit')[0];
    if (submit) return { kind: 'goto', url: submit.getAttribute('next') ?? '', result };
    throw new Error(`the document does not end the dialog:\n${this.xml}`);
  }

  /** The application root document the current document names, fetched and checked. */
  async fetchRoot(): Promise<{ xml: string; etag?: string; cacheControl?: string }> {
    const application = this.root().getAttribute('application');
    if (!application) throw new Error('no application root');
    const res = await request(this.app).get(this.resolve(application));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
    await expectValidVxml(res.text);
    return { xml: res.text, etag: res.headers.etag, cacheControl: res.headers['cache-control'] };
  }

  private follow(submit: Element, values: Record<string, string>) {
    const next = this.resolve(submit.getAttribute('next') ?? '');
    const names = (submit.getAttribute('namelist') ?? '').split(/\s+/).filter(Boolean);
    const form = new URLSearchParams();
    for (const name of names) form.set(name, values[name] ?? '');
    return submit.getAttribute('method') === 'post' ? this.fetch('post', next, form.toString()) : this.fetch('get', next);
  }

  private async fetch(method: 'get' | 'post', path: string, body?: string) {
    this.lastRequest = { method, path, body };
    const res = await (method === 'get' ? request(this.app).get(path) : this.post(path, body ?? ''));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache, no-store, private');
    expect(res.headers.expires).toBe('0');
    expectValidVxmlAfterTest(res.text);
    this.url = path;
    this.xml = res.text;
    this.documents.push(res.text);
    return res;
  }

  private post(path: string, body: string) {
    if (this.options.enctype !== 'multipart/form-data') return request(this.app).post(path).type('form').send(body);
    // Written out by hand (RFC 7578), as a platform writes it: a part per field, and a
    // form with no fields is the closing boundary alone.
    const boundary = 'ivr-caller-boundary';
    const parts = [...new URLSearchParams(body)].map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    );
    return request(this.app).post(path).set('Content-Type', `multipart/form-data; boundary=${boundary}`).send(`${parts.join('')}--${boundary}--\r\n`);
  }

  private resolve(relative: string): string {
    const base = new URL(this.url || '/vxml/start', 'http://ivr.test');
    const target = new URL(relative, base);
    return target.pathname + target.search;
  }

  private root(): Element {
    return (create(this.xml).node as unknown as { documentElement: Element }).documentElement;
  }

  private elements(name: string): Element[] {
    return Array.from(this.root().getElementsByTagName(name));
  }

  private single(list: Element[]): Element {
    if (list.length !== 1) throw new Error(`expected one element, found ${list.length} in:\n${this.xml}`);
    return list[0] as Element;
  }
}

import type { VxmlElement, VxmlNode } from './dom';
import { documentBase, parseTime, splitTarget, type VxmlDocument } from './documents';
import { INPUT_ITEMS, propertyInScope, type DialogState, type Where } from './dialog-state';
import { VxmlEvent } from './events';
import type { CallChannel } from './channel';
import type { CallFetcher } from './fetcher';
import type { Sandbox, ScopeChain } from './scope';
import { CallEnded, Returned, Transition, type TransitionTarget } from './signals';
import { collapse, spoken } from './speech';

/**
 * Executable content (VoiceXML 2.0 §5.3): what runs in blocks, filled and catch
 * elements, in a given scope chain. Transitions, events and the call's end leave it as
 * exceptions (signals.ts), however deep inside if/foreach they happen.
 */
export class ExecutableContent {
  constructor(
    private readonly sandbox: Sandbox,
    private readonly channel: CallChannel,
    private readonly fetcher: CallFetcher,
    private readonly defaultFetchTimeoutMs: number,
  ) {}

  /** Runs executable content (block, filled, catch, if branches) in the given chain. */
  async execute(nodes: readonly VxmlNode[], chain: ScopeChain, where: Where): Promise<void> {
    for (const node of nodes) {
      if (node.kind === 'text') {
        // Bare text in executable content is an implicit prompt.
        if (node.text.trim()) this.channel.queuePrompt([node], chain);
        continue;
      }
      await this.executeElement(node, chain, where);
    }
  }

  private async executeElement(el: VxmlElement, chain: ScopeChain, where: Where): Promise<void> {
    const { attrs } = el;
    const { doc } = where;
    const evaluate = (expr: string) => this.sandbox.evaluate(expr, chain);
    switch (el.name) {
      case 'var':
        this.sandbox.declare(attrs.name ?? '', attrs.expr !== undefined ? evaluate(attrs.expr) : undefined, chain);
        return;
      case 'assign':
        this.sandbox.assign(attrs.name ?? '', evaluate(attrs.expr ?? 'undefined'), chain);
        return;
      case 'script': {
        const code = attrs.src || attrs.srcexpr ? await this.fetchScript(el, chain, where) : rawText(el);
        if (code) this.sandbox.runScript(code, chain);
        return;
      }
      case 'if':
        return this.executeIf(el, chain, where);
      case 'prompt':
        if (this.sandbox.condition(attrs.cond, chain)) this.channel.queuePrompt(el.children, chain);
        return;
      case 'audio':
      case 'value':
      case 'enumerate':
      case 'say-as':
      case 'break':
      case 'emphasis':
      case 'prosody':
      case 'sub':
      case 'mark':
        this.channel.queuePrompt([el], chain);
        return;
      case 'foreach': {
        const array = evaluate(attrs.array ?? '[]');
        for (const item of Array.isArray(array) ? array : []) {
          const scope = this.sandbox.newScope({ [attrs.item ?? '_item']: item });
          await this.execute(el.children, [...chain, scope], where);
        }
        return;
      }
      case 'log': {
        const text = collapse(`${attrs.expr ? spoken(evaluate(attrs.expr)) : ''} ${this.channel.speakText(el.children, chain)}`);
        this.channel.record({ kind: 'log', ...(attrs.label ? { label: attrs.label } : {}), text });
        return;
      }
      case 'clear':
        return this.clear(attrs.namelist, chain, where);
      case 'reprompt':
        if (where.state) where.state.reprompt = true;
        return;
      case 'throw': {
        const event = attrs.event ?? spoken(evaluate(attrs.eventexpr ?? "''"));
        const message = attrs.message ?? (attrs.messageexpr ? spoken(evaluate(attrs.messageexpr)) : undefined);
        throw new VxmlEvent(event, message);
      }
      case 'goto': {
        if (attrs.nextitem || attrs.expritem) {
          throw new Transition({ kind: 'item', name: attrs.nextitem ?? spoken(evaluate(attrs.expritem as string)) });
        }
        const next = attrs.next ?? spoken(evaluate(attrs.expr ?? "''"));
        throw new Transition(this.target(next, doc, 'GET', [], undefined, this.fetchTimeout(where, el)));
      }
      case 'submit': {
        const next = attrs.next ?? spoken(evaluate(attrs.expr ?? "''"));
        const fields = this.namelistFields(attrs.namelist, chain, where.state);
        throw new Transition(this.target(next, doc, method(attrs.method), fields, attrs.enctype, this.fetchTimeout(where, el)));
      }
      case 'exit':
        throw new CallEnded('exit', { values: this.endValues(attrs.namelist, attrs.expr, chain) });
      case 'disconnect':
        // §5.3.11: the browser hangs up and throws connection.disconnect.hangup, so the
        // document can still clean up (submit, log) before the interpreter exits.
        this.channel.flushPrompts();
        this.channel.disconnected = this.endValues(attrs.namelist, undefined, chain) ?? {};
        throw new VxmlEvent('connection.disconnect.hangup', 'the document disconnected the call');
      case 'return': {
        if (attrs.event || attrs.eventexpr) {
          const event = attrs.event ?? spoken(evaluate(attrs.eventexpr as string));
          const message = attrs.message ?? (attrs.messageexpr ? spoken(evaluate(attrs.messageexpr)) : undefined);
          throw new Returned({ event, message });
        }
        this.channel.flushPrompts();
        throw new Returned({ values: this.endValues(attrs.namelist, undefined, chain) ?? {} });
      }
      case 'data':
        throw new VxmlEvent('error.unsupported.data', '<data> is not supported by the simulator');
      default:
        // Elements that only make sense elsewhere (grammar, property in a block...) are ignored.
        return;
    }
  }

  /** <if> with <elseif/> and <else/> markers: the children up to the next marker form a branch. */
  private async executeIf(el: VxmlElement, chain: ScopeChain, where: Where): Promise<void> {
    let taking = this.sandbox.condition(el.attrs.cond ?? 'false', chain);
    let done = false;
    const branch: VxmlNode[] = [];
    for (const node of el.children) {
      if (node.kind === 'element' && (node.name === 'elseif' || node.name === 'else')) {
        if (taking) done = true;
        taking = !done && (node.name === 'else' || this.sandbox.condition(node.attrs.cond ?? 'false', chain));
        continue;
      }
      if (taking && !done) branch.push(node);
    }
    await this.execute(branch, chain, where);
  }

  private async fetchScript(el: VxmlElement, chain: ScopeChain, where: Where): Promise<string> {
    const src = el.attrs.src ?? spoken(this.sandbox.evaluate(el.attrs.srcexpr as string, chain));
    const url = new URL(src, documentBase(where.doc.url, where.doc.root)).toString();
    const result = await this.fetcher.fetch({ url, method: 'GET', timeoutMs: this.fetchTimeout(where, el) });
    return result.text;
  }

  /** <clear>: the named variables (default: every form item) become undefined, their counters reset. */
  private clear(namelist: string | undefined, chain: ScopeChain, where: Where): void {
    const state = where.state;
    const names = namelist ? namelist.split(/\s+/).filter(Boolean) : (state?.items.map((i) => i.name) ?? []);
    for (const name of names) {
      const item = state?.items.find((i) => i.name === name);
      if (item && state) {
        state.scope[name] = undefined;
        state.promptCounts.delete(name);
        state.eventCounts.delete(name);
      } else {
        this.sandbox.assign(name, undefined, chain);
      }
    }
  }

  /** A <goto>/<submit>/<choice> URI as a transition: within this document or to another one. */
  target(
    uri: string,
    doc: VxmlDocument,
    httpMethod: 'GET' | 'POST',
    fields: [string, string][],
    enctype: string | undefined,
    timeoutMs: number,
  ): TransitionTarget {
    if (!uri) throw new VxmlEvent('error.badfetch', 'a transition with an empty URI');
    const base = documentBase(doc.url, doc.root);
    let split: { url?: string; fragment?: string };
    try {
      split = splitTarget(uri, base);
    } catch {
      throw new VxmlEvent('error.badfetch', `"${uri}" is not a URI`);
    }
    if (!split.url) return { kind: 'dialog', id: split.fragment ?? '' };
    return {
      kind: 'document',
      fragment: split.fragment,
      request: {
        url: split.url,
        method: httpMethod,
        fields,
        enctype: enctype === 'multipart/form-data' ? 'multipart/form-data' : 'application/x-www-form-urlencoded',
        timeoutMs,
      },
    };
  }

  /**
   * A namelist's variables as form fields. An object is sent as one field per property
   * ("slot.prop"), as platforms do for objects (§5.3.8); without a namelist, <submit>
   * sends every input item of the current form.
   */
  namelistFields(namelist: string | undefined, chain: ScopeChain, state: DialogState | undefined): [string, string][] {
    const names = namelist
      ? namelist.split(/\s+/).filter(Boolean)
      : (state?.items.filter((i) => INPUT_ITEMS.has(i.el.name)).map((i) => i.name) ?? []);
    const fields: [string, string][] = [];
    for (const name of names) {
      const value = this.sandbox.evaluate(name, chain);
      if (isObject(value) && !Array.isArray(value)) {
        for (const [key, inner] of Object.entries(value)) fields.push([`${name}.${key}`, spoken(inner)]);
      } else {
        fields.push([name, spoken(value)]);
      }
    }
    return fields;
  }

  /** What <exit>/<disconnect>/<return> hand back: the namelist's variables, or expr's value. */
  private endValues(namelist: string | undefined, expr: string | undefined, chain: ScopeChain): Record<string, unknown> | undefined {
    if (namelist) {
      const values: Record<string, unknown> = {};
      for (const name of namelist.split(/\s+/).filter(Boolean)) values[name] = plain(this.sandbox.evaluate(name, chain));
      return values;
    }
    if (expr) return { expr: plain(this.sandbox.evaluate(expr, chain)) };
    return undefined;
  }


  /** fetchtimeout: the element's attribute, else the property in scope, else the default. */
  fetchTimeout(where: Where, el?: VxmlElement): number {
    const fromAttribute = parseTime(el?.attrs.fetchtimeout);
    if (fromAttribute !== undefined) return fromAttribute;
    return parseTime(propertyInScope('fetchtimeout', where, where.state?.current)) ?? this.defaultFetchTimeoutMs;
  }
}

export function method(value: string | undefined): 'GET' | 'POST' {
  return value?.toLowerCase() === 'post' ? 'POST' : 'GET';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Values handed back to the caller of the simulator: plain data, not the sandbox's objects. */
function plain(value: unknown): unknown {
  if (!isObject(value)) return value;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}

/** A script's code exactly as written (CDATA and text), line breaks kept. */
function rawText(el: VxmlElement): string {
  return el.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');
}

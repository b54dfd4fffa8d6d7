import { elements, parseXml, textContent, type VxmlElement } from './dom';
import { CallChannel } from './channel';
import { FORM_ITEMS, formItems, INPUT_ITEMS, propertyInScope, type Application, type DialogState, type Execution, type FormItem } from './dialog-state';
import { dialogName, documentBase, findDialog, readDocument, splitTarget, type VxmlDocument } from './documents';
import { countEvent, defaultAction, selectCatch, VxmlEvent } from './events';
import { ExecutableContent, isObject, method } from './executable';
import { CallFetcher, type FetchRequest } from './fetcher';
import { dtmfGrammars, matchInput, type ActiveGrammar } from './listening';
import type { GrammarMatch } from './grammar';
import { Sandbox, type ScopeChain, type ScopeObject } from './scope';
import { CallEnded, Returned, Transition, type PreparedDocument, type TransitionTarget } from './signals';
import { spoken, type Enumerated } from './speech';
import type { CallerInput, CallOutcome, EndReason, SimulationOptions } from './types';

const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const DEFAULT_SCRIPT_TIMEOUT_MS = 1_000;
const DEFAULT_MAX_STEPS = 2_000;
/** Events raised while handling events: a handler that rethrows forever ends the call. */
const MAX_EVENT_CHAIN = 25;
const MAX_SUBDIALOG_DEPTH = 20;
// left-origin: the documents handed the call on (a campaign's return URL), as they meant to.
const NORMAL_ENDINGS: ReadonlySet<EndReason> = new Set(['exit', 'disconnect', 'document-end', 'hangup', 'return', 'left-origin']);

/** Where an event is being handled: the elements whose catches apply and the scope chain. */
interface EventPlace {
  doc: VxmlDocument;
  scopes: VxmlElement[];
  chain: ScopeChain;
  counters: Map<string, number>;
  state?: DialogState;
}

/**
 * A VoiceXML 2.1 browser for one call: fetches documents, runs the Form Interpretation
 * Algorithm (VoiceXML 2.0 appendix C) over forms and menus, and takes the caller's
 * inputs from options.inputs. Everything the caller would hear or the platform would do
 * is written to the transcript.
 */
export class Interpreter {
  private readonly sandbox: Sandbox;
  private readonly channel: CallChannel;
  private readonly fetcher: CallFetcher;
  private readonly content: ExecutableContent;
  private readonly documents: string[] = [];
  private readonly session: ScopeObject;
  private readonly rootCache = new Map<string, VxmlDocument>();
  private readonly grammarCache = new Map<string, VxmlElement>();
  private steps = 0;

  constructor(private readonly options: SimulationOptions) {
    this.sandbox = new Sandbox(options.scriptTimeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS);
    this.channel = new CallChannel(this.sandbox, options.onEntry);
    this.fetcher = new CallFetcher((entry) => this.channel.record(entry), startOriginHeaders(options), options.confineTo, options.fetchTimeoutOverrideMs);
    this.content = new ExecutableContent(this.sandbox, this.channel, this.fetcher, options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
    this.session = this.sandbox.newScope({ connection: this.sandbox.toRealm(connectionInfo(options)) });
  }

  async run(): Promise<CallOutcome> {
    let ending: CallEnded;
    try {
      const { url, fragment } = splitTarget(this.options.url, this.options.url);
      const startMethod = this.options.startMethod ?? 'GET';
      const { startFields, startEnctype } = this.options;
      const start = await this.prepare(
        {
          url: url ?? this.options.url,
          method: startMethod,
          ...(startFields ? { fields: startFields } : {}),
          ...(startEnctype ? { enctype: startEnctype } : {}),
          timeoutMs: this.options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
        },
        undefined,
        fragment,
      );
      const returned = await this.runExecution(start, undefined, undefined, 0);
      ending = returned.result.event
        ? new CallEnded('error', { event: returned.result.event, message: returned.result.message })
        : new CallEnded('return', { values: returned.result.values });
    } catch (err) {
      if (err instanceof CallEnded) ending = err;
      else if (err instanceof VxmlEvent) ending = new CallEnded('error', { event: err.event, message: err.message });
      else throw err;
    }
    this.channel.flushPrompts();
    const { reason, details } = ending;
    this.channel.record({ kind: 'end', reason, ...details });
    return { reason, normal: NORMAL_ENDINGS.has(reason), ...details, transcript: this.channel.transcript, documents: this.documents };
  }

  // ---------------------------------------------------------------- documents

  /** Fetches a document and, when it belongs to another application, its root document. */
  private async prepare(request: FetchRequest, current: Application | undefined, fragment?: string): Promise<PreparedDocument> {
    const doc = await this.fetchDocument(request);
    if (!findDialog(doc, fragment)) throw new VxmlEvent('error.badfetch', `${doc.url} has no dialog${fragment ? ` "${fragment}"` : ''}`);
    if (!doc.applicationUrl || doc.applicationUrl === current?.url) return { doc, fragment };
    // A platform that skips the root still keeps one application scope per application URL.
    if (this.options.loadApplicationRoot === false) return { doc, fragment };
    let root = this.rootCache.get(doc.applicationUrl);
    if (!root) {
      root = await this.fetchDocument({ url: doc.applicationUrl, method: 'GET', timeoutMs: this.content.fetchTimeout({ doc }) });
      this.rootCache.set(doc.applicationUrl, root);
    }
    return { doc, root, fragment };
  }

  private async fetchDocument(request: FetchRequest): Promise<VxmlDocument> {
    const result = await this.fetcher.fetch(request);
    this.documents.push(result.url);
    if (this.options.validate) {
      const errors = await this.options.validate(result.text);
      if (errors.length) this.channel.record({ kind: 'invalid', url: result.url, errors });
    }
    return readDocument(result.url, result.text);
  }

  /** Runs an execution context from its first document to <return> (or the call's end). */
  private async runExecution(start: PreparedDocument, inherited: Application | undefined, params: Map<string, unknown> | undefined, depth: number): Promise<Returned> {
    let dialog = findDialog(start.doc, start.fragment);
    if (!dialog) throw new VxmlEvent('error.badfetch', `${start.doc.url} has no dialog${start.fragment ? ` "${start.fragment}"` : ''}`);
    let exec = await this.enterDocument(start, inherited, depth);
    try {
      for (;;) {
        const next = await this.runDialog(exec, dialog, params);
        params = undefined;
        if (next.kind === 'dialog') {
          dialog = next.dialog;
        } else {
          exec = await this.enterDocument(next.prepared, exec.app, depth);
          dialog = findDialog(exec.doc, next.prepared.fragment) as VxmlElement;
        }
      }
    } catch (err) {
      if (err instanceof Returned) return err;
      throw err;
    }
  }

  /** Initialises the application scope (for a new application) and the document scope. */
  private async enterDocument(prepared: PreparedDocument, current: Application | undefined, depth: number): Promise<Execution> {
    const { doc } = prepared;
    const appUrl = doc.applicationUrl ?? doc.url;
    let app = current;
    if (!app || app.url !== appUrl) {
      app = { url: appUrl, root: prepared.root, scope: this.sandbox.newScope() };
      if (app.root) await this.initialiseVariables(app.root, [this.session, app.scope], [app.root.root]);
    }
    // The root document visited as a page shares the application scope as its document scope.
    const docScope = app.root?.url === doc.url ? app.scope : this.sandbox.newScope();
    const exec: Execution = { app, doc, docScope, depth };
    if (docScope !== app.scope) {
      await this.initialiseVariables(doc, [this.session, app.scope, docScope], [doc.root, ...(app.root ? [app.root.root] : [])]);
    }
    return exec;
  }

  /** The document-level <var> and <script> elements, in document order. */
  private async initialiseVariables(doc: VxmlDocument, chain: ScopeChain, catchScopes: VxmlElement[]): Promise<void> {
    const place: EventPlace = { doc, scopes: catchScopes, chain, counters: new Map() };
    for (const el of elements(doc.root, 'var', 'script')) {
      await this.guarded(place, () => this.content.execute([el], chain, { doc }));
    }
  }

  /** Runs fn; an event it raises is handled at place (a transition from the handler propagates). */
  private async guarded(place: EventPlace, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof VxmlEvent)) throw err;
      await this.handleEvent(err, place, 0);
    }
  }

  // ---------------------------------------------------------------- dialogs

  private async runDialog(
    exec: Execution,
    dialog: VxmlElement,
    params: Map<string, unknown> | undefined,
  ): Promise<{ kind: 'dialog'; dialog: VxmlElement } | { kind: 'document'; prepared: PreparedDocument }> {
    const state: DialogState = {
      exec,
      dialog,
      scope: this.sandbox.newScope(),
      items: dialog.name === 'menu' ? [{ el: dialog, name: '_menu' }] : formItems(dialog),
      promptCounts: new Map(),
      eventCounts: new Map(),
      reprompt: false,
    };
    let playPrompts = true;
    let pending: (() => Promise<void>) | undefined = () => this.initialiseDialog(state, params);
    for (;;) {
      if (!pending) {
        const skipPrompts = !playPrompts;
        pending = async () => {
          const item = this.selectItem(state);
          if (!item) throw new CallEnded('document-end');
          await this.collect(state, item, skipPrompts);
        };
      }
      this.step();
      const work: () => Promise<void> = pending;
      pending = undefined;
      playPrompts = true;
      try {
        await work();
      } catch (err) {
        const outcome = await this.afterInterruption(err, state);
        if (outcome.kind === 'leave') return outcome.to;
        pending = outcome.next;
        playPrompts = outcome.playPrompts;
      }
    }
  }

  /**
   * What the FIA does after an event or a transition interrupted the current step: handle
   * the event (possibly raising another), move to an item, or leave the dialog.
   */
  private async afterInterruption(
    err: unknown,
    state: DialogState,
    chain = 0,
  ): Promise<
    | { kind: 'leave'; to: { kind: 'dialog'; dialog: VxmlElement } | { kind: 'document'; prepared: PreparedDocument } }
    | { kind: 'continue'; next?: () => Promise<void>; playPrompts: boolean }
  > {
    if (chain > MAX_EVENT_CHAIN) throw new CallEnded('aborted', { message: 'events kept raising events: the call was stopped' });
    try {
      if (err instanceof VxmlEvent) {
        state.reprompt = false;
        await this.handleEvent(err, this.placeOf(state, state.current), chain);
        return { kind: 'continue', playPrompts: state.reprompt };
      }
      if (err instanceof Transition) return await this.transition(err.target, state);
      throw err;
    } catch (next) {
      if (next instanceof VxmlEvent || next instanceof Transition) return this.afterInterruption(next, state, chain + 1);
      throw next;
    }
  }

  private async transition(target: TransitionTarget, state: DialogState): ReturnType<Interpreter['afterInterruption']> {
    switch (target.kind) {
      case 'item':
        if (!state.items.some((i) => i.name === target.name)) throw new VxmlEvent('error.badfetch', `no form item "${target.name}" in this dialog`);
        state.nextItem = target.name;
        return { kind: 'continue', playPrompts: true };
      case 'dialog': {
        const dialog = findDialog(state.exec.doc, target.id);
        if (!dialog) throw new VxmlEvent('error.badfetch', `no dialog "${target.id}" in ${state.exec.doc.url}`);
        this.channel.flushPrompts();
        return { kind: 'leave', to: { kind: 'dialog', dialog } };
      }
      case 'document': {
        this.channel.flushPrompts();
        const prepared = await this.prepare(target.request, state.exec.app, target.fragment);
        return { kind: 'leave', to: { kind: 'document', prepared } };
      }
    }
  }

  /** Dialog-scope variables and scripts, then form item variables, in document order. */
  private async initialiseDialog(state: DialogState, params: Map<string, unknown> | undefined): Promise<void> {
    const chain = this.dialogChain(state);
    const unused = new Set(params?.keys() ?? []);
    for (const el of elements(state.dialog)) {
      if (el.name === 'var' && params?.has(el.attrs.name ?? '')) {
        // A subdialog's <param> replaces the initial value of the <var> of the same name.
        this.sandbox.declare(el.attrs.name ?? '', params.get(el.attrs.name ?? ''), chain);
        unused.delete(el.attrs.name ?? '');
      } else if (el.name === 'var' || el.name === 'script') {
        await this.content.execute([el], chain, { doc: state.exec.doc, state });
      } else if (FORM_ITEMS.has(el.name)) {
        const item = state.items.find((i) => i.el === el) as FormItem;
        const initial = el.attrs.expr !== undefined ? this.sandbox.evaluate(el.attrs.expr, chain) : undefined;
        this.sandbox.declare(item.name, initial, chain);
      }
    }
    if (unused.size) throw new VxmlEvent('error.semantic', `<param> ${[...unused].join(', ')} matches no <var> of the subdialog`);
  }

  private dialogChain(state: DialogState): ScopeChain {
    return [this.session, state.exec.app.scope, state.exec.docScope, state.scope];
  }

  /** The FIA's select phase: a <goto nextitem> target, else the first item to visit. */
  private selectItem(state: DialogState): FormItem | undefined {
    if (state.nextItem) {
      const name = state.nextItem;
      state.nextItem = undefined;
      return state.items.find((i) => i.name === name);
    }
    if (state.dialog.name === 'menu') return state.items[0];
    const chain = this.dialogChain(state);
    return state.items.find((item) => state.scope[item.name] === undefined && this.sandbox.condition(item.el.attrs.cond, chain));
  }

  private placeOf(state: DialogState, item: FormItem | undefined): EventPlace {
    const { exec } = state;
    const scopes = [...(item && item.el !== state.dialog ? [item.el] : []), state.dialog, exec.doc.root];
    if (exec.app.root && exec.app.root.url !== exec.doc.url) scopes.push(exec.app.root.root);
    const key = item?.name ?? '';
    let counters = state.eventCounts.get(key);
    if (!counters) state.eventCounts.set(key, (counters = new Map()));
    return { doc: exec.doc, scopes, chain: this.dialogChain(state), counters, state };
  }

  // ---------------------------------------------------------------- collect and process

  /** The FIA's collect and process phases for one form item. */
  private async collect(state: DialogState, item: FormItem, skipPrompts: boolean): Promise<void> {
    state.current = item;
    const chain = this.dialogChain(state);
    switch (item.el.name) {
      case 'block':
        state.scope[item.name] = true;
        await this.content.execute(item.el.children, [...chain, this.sandbox.newScope()], { doc: state.exec.doc, state });
        return;
      case 'field':
      case 'initial':
      case 'menu':
        if (!skipPrompts) this.queueItemPrompts(state, item);
        return this.listenAndFill(state, item);
      case 'subdialog':
        return this.runSubdialog(state, item);
      case 'transfer':
        if (!skipPrompts) this.queueItemPrompts(state, item);
        return this.transfer(state, item);
      default:
        // <record> and <object> need audio or platform objects a text simulator cannot give.
        throw new VxmlEvent(`error.unsupported.${item.el.name}`, `<${item.el.name}> is not supported by the simulator`);
    }
  }

  /** Prompt selection (§4.1.6): the prompts whose cond holds with the highest count not above the counter. */
  private queueItemPrompts(state: DialogState, item: FormItem): void {
    const counter = state.promptCounts.get(item.name) ?? 1;
    state.promptCounts.set(item.name, counter + 1);
    const chain = this.dialogChain(state);
    const prompts = elements(item.el, 'prompt')
      .filter((p) => this.sandbox.condition(p.attrs.cond, chain))
      .map((p) => ({ p, count: Math.max(1, Number.parseInt(p.attrs.count ?? '1', 10) || 1) }))
      .filter((c) => c.count <= counter);
    const best = Math.max(0, ...prompts.map((c) => c.count));
    for (const { p } of prompts.filter((c) => c.count === best)) {
      this.channel.queuePrompt(p.children, [...chain, this.sandbox.newScope()], this.enumeration(item));
    }
  }

  private async listenAndFill(state: DialogState, item: FormItem): Promise<void> {
    const chain = this.dialogChain(state);
    const grammars = await this.activeGrammars(state, item);
    const input = await this.listen(state, item, grammars);
    if (input.kind === 'noinput') throw new VxmlEvent('noinput');
    if (input.kind === 'help') {
      // "Help" is spoken: a browser listening for keys only (inputmodes="dtmf") hears silence.
      const modes = propertyInScope('inputmodes', { doc: state.exec.doc, state }, item);
      if (modes !== undefined && !modes.split(/\s+/).includes('voice')) {
        this.channel.record({ kind: 'log', label: 'simulator', text: 'a spoken "help" is not heard: inputmodes is "dtmf", so it counts as silence' });
        throw new VxmlEvent('noinput');
      }
      throw new VxmlEvent('help');
    }
    if (input.kind === 'hangup') {
      this.channel.hungUp = true;
      throw new VxmlEvent('connection.disconnect.hangup', 'the caller hung up');
    }
    const termchar = propertyInScope('termchar', { doc: state.exec.doc, state }, item) ?? '#';
    const found = matchInput(input.keys, grammars, termchar) ?? (this.options.laxDtmf ? laxMatch(input.keys, grammars, termchar) : undefined);
    if (!found) throw new VxmlEvent('nomatch');
    const { match, grammar } = found;
    const result = this.sandbox.toRealm({
      utterance: match.utterance,
      inputmode: 'dtmf',
      interpretation: match.interpretation,
      confidence: 1,
    }) as Record<string, unknown>;
    const lastresult = this.sandbox.toRealm([result]) as Record<string, unknown>;
    Object.assign(lastresult, result);
    state.exec.app.scope.lastresult$ = lastresult;

    if (grammar.jump) {
      this.channel.record({ kind: 'recognition', item: grammar.level === 'link' ? 'link' : item.name, utterance: match.utterance, interpretation: match.interpretation });
      return this.jump(grammar.jump, chain, state);
    }
    const filled = grammar.level === 'form' ? this.fillSlots(state, match.interpretation) : [this.fillItem(state, item, match.interpretation)];
    if (filled.length === 0) throw new VxmlEvent('nomatch');
    for (const name of filled) {
      state.scope[`${name}$`] = this.sandbox.toRealm({ ...result, interpretation: state.scope[name] });
      this.channel.record({ kind: 'recognition', item: name, utterance: match.utterance, interpretation: state.scope[name] });
    }
    if (item.el.name === 'initial') state.scope[item.name] = true;
    await this.runFilled(state, new Set(filled));
  }

  /** A field's own grammar: the slot property of an object interpretation, else all of it. */
  private fillItem(state: DialogState, item: FormItem, interpretation: unknown): string {
    const slot = item.el.attrs.slot ?? item.name;
    const value = isObject(interpretation) && slot in interpretation ? interpretation[slot] : interpretation;
    state.scope[item.name] = this.sandbox.toRealm(value);
    return item.name;
  }

  /** A form-level grammar fills every field whose slot its interpretation names (mixed initiative). */
  private fillSlots(state: DialogState, interpretation: unknown): string[] {
    if (!isObject(interpretation)) return [];
    const filled: string[] = [];
    for (const item of state.items) {
      if (item.el.name !== 'field') continue;
      const slot = item.el.attrs.slot ?? item.name;
      if (slot in interpretation) {
        state.scope[item.name] = this.sandbox.toRealm(interpretation[slot]);
        filled.push(item.name);
      }
    }
    return filled;
  }

  /**
   * The process phase: every <filled> in document order, field-level ones for fields just
   * filled, form-level ones by mode (all: every named item filled and one of them just
   * now; any: one of them just now) and namelist (default: every input item).
   */
  private async runFilled(state: DialogState, justFilled: ReadonlySet<string>): Promise<void> {
    const inputNames = state.items.filter((i) => INPUT_ITEMS.has(i.el.name)).map((i) => i.name);
    for (const el of elements(state.dialog)) {
      const actions: VxmlElement[] = [];
      if (el.name === 'filled') {
        const names = el.attrs.namelist ? el.attrs.namelist.split(/\s+/).filter(Boolean) : inputNames;
        const any = names.some((n) => justFilled.has(n));
        const ready = el.attrs.mode === 'any' ? any : any && names.every((n) => state.scope[n] !== undefined);
        if (ready) actions.push(el);
      } else if (INPUT_ITEMS.has(el.name)) {
        const item = state.items.find((i) => i.el === el);
        if (item && justFilled.has(item.name)) actions.push(...elements(el, 'filled'));
      }
      for (const filled of actions) {
        await this.content.execute(filled.children, [...this.dialogChain(state), this.sandbox.newScope()], { doc: state.exec.doc, state });
      }
    }
  }

  private async listen(state: DialogState, item: FormItem, grammars: readonly ActiveGrammar[]): Promise<CallerInput & { kind: string }> {
    this.channel.flushPrompts();
    if (this.channel.disconnected) throw new CallEnded('disconnect', { values: this.channel.disconnected });
    if (this.channel.hungUp) throw new CallEnded('hangup');
    const request = {
      dialog: dialogName(state.exec.doc, state.dialog),
      item: item.name,
      expecting: grammars.map((g) => g.grammar.describe()),
    };
    this.channel.record({ kind: 'listen', request });
    const input = await this.options.inputs(request);
    if (!input) throw new CallEnded('input-exhausted', { message: `no more input while listening in ${request.dialog}/${request.item}` });
    this.channel.record({ kind: 'input', input });
    return input;
  }

  /**
   * Grammars active while collecting this item, in order of precedence (§3.1.4): the
   * item's grammars and links, then unless the item is modal the form's grammars and
   * links, the document's links and the application root's links.
   */
  private async activeGrammars(state: DialogState, item: FormItem): Promise<ActiveGrammar[]> {
    const chain = this.dialogChain(state);
    const base = documentBase(state.exec.doc.url, state.exec.doc.root);
    const load = (url: string) => this.fetchGrammar(url, state);
    const links = (holder: VxmlElement | undefined) => (holder ? dtmfGrammars.forLinks(holder, chain, this.sandbox, base, load) : []);
    const active: ActiveGrammar[] = [];
    if (item.el.name === 'menu') active.push(...(await dtmfGrammars.forMenu(item.el, chain, this.sandbox, base, load)));
    else {
      if (item.el.name !== 'initial') active.push(...(await dtmfGrammars.forField(item.el, chain, this.sandbox, base, load)));
      active.push(...(await links(item.el)));
      if (item.el.attrs.modal === 'true') return active;
      active.push(...(await dtmfGrammars.forForm(state.dialog, chain, this.sandbox, base, load)));
    }
    const root = state.exec.app.root;
    for (const holder of [item.el === state.dialog ? undefined : state.dialog, state.exec.doc.root, root && root.url !== state.exec.doc.url ? root.root : undefined]) {
      active.push(...(await links(holder)));
    }
    return active;
  }

  /** An external grammar, fetched once per call (browsers cache grammars; the field asks at every listen). */
  private async fetchGrammar(url: string, state: DialogState): Promise<VxmlElement> {
    const cached = this.grammarCache.get(url);
    if (cached) return cached;
    const result = await this.fetcher.fetch({ url, method: 'GET', timeoutMs: this.content.fetchTimeout({ doc: state.exec.doc, state }) });
    let grammar: VxmlElement;
    try {
      grammar = parseXml(result.text);
    } catch (err) {
      throw new VxmlEvent('error.badfetch.grammar', `${url}: ${(err as Error).message}`);
    }
    this.grammarCache.set(url, grammar);
    return grammar;
  }

  /** A matched <choice> or <link>: throw its event, or go to its next/expr. */
  private jump(choice: VxmlElement, chain: ScopeChain, state: DialogState): never {
    const scope = [...chain];
    if (choice.attrs.event || choice.attrs.eventexpr) {
      const event = choice.attrs.event ?? spoken(this.sandbox.evaluate(choice.attrs.eventexpr as string, scope));
      const message = choice.attrs.message ?? (choice.attrs.messageexpr ? spoken(this.sandbox.evaluate(choice.attrs.messageexpr, scope)) : undefined);
      throw new VxmlEvent(event, message);
    }
    const next = choice.attrs.next ?? spoken(this.sandbox.evaluate(choice.attrs.expr ?? 'undefined', scope));
    throw new Transition(this.content.target(next, state.exec.doc, 'GET', [], undefined, this.content.fetchTimeout({ doc: state.exec.doc, state })));
  }

  /** What <enumerate> lists: a menu's choices or a field's options. */
  private enumeration(item: FormItem): Enumerated[] {
    if (item.el.name === 'menu') {
      return dtmfGrammars.menuChoices(item.el).map(({ choice, dtmf }) => ({ prompt: textContent(choice), dtmf }));
    }
    return elements(item.el, 'option').map((o) => ({ prompt: textContent(o), dtmf: o.attrs.dtmf ?? '' }));
  }

  // ---------------------------------------------------------------- subdialog and transfer

  private async runSubdialog(state: DialogState, item: FormItem): Promise<void> {
    if (state.exec.depth >= MAX_SUBDIALOG_DEPTH) throw new VxmlEvent('error.semantic', 'subdialogs nested too deeply');
    const chain = this.dialogChain(state);
    const el = item.el;
    const src = el.attrs.src ?? spoken(this.sandbox.evaluate(el.attrs.srcexpr ?? 'undefined', chain));
    const params = new Map<string, unknown>();
    for (const param of elements(el, 'param')) {
      params.set(param.attrs.name ?? '', param.attrs.expr !== undefined ? this.sandbox.evaluate(param.attrs.expr, chain) : param.attrs.value);
    }
    const fields = this.content.namelistFields(el.attrs.namelist, chain, undefined);
    const target = this.content.target(src, state.exec.doc, method(el.attrs.method), fields, el.attrs.enctype, this.content.fetchTimeout({ doc: state.exec.doc, state }, el));
    this.channel.flushPrompts();
    // A local subdialog ("#id") starts a new execution context on a fresh copy of this document.
    const prepared =
      target.kind === 'document'
        ? await this.prepare(target.request, state.exec.app, target.fragment)
        : { doc: state.exec.doc, root: state.exec.app.root, fragment: target.kind === 'dialog' ? target.id : undefined };
    const returned = await this.runExecution(prepared, state.exec.app, params, state.exec.depth + 1);
    if (returned.result.event) throw new VxmlEvent(returned.result.event, returned.result.message);
    state.scope[item.name] = this.sandbox.toRealm(returned.result.values ?? {});
    await this.runFilled(state, new Set([item.name]));
  }

  /**
   * <transfer>: nobody answers in a simulation. A blind transfer leaves the browser
   * (connection.disconnect.transfer, as §2.3.7 says); a bridged or consultation transfer
   * reports that the far end hung up, so the dialog continues as it would after the call.
   */
  private async transfer(state: DialogState, item: FormItem): Promise<void> {
    const chain = this.dialogChain(state);
    const dest = item.el.attrs.dest ?? spoken(this.sandbox.evaluate(item.el.attrs.destexpr ?? "''", chain));
    this.channel.flushPrompts();
    this.channel.record({ kind: 'log', label: 'transfer', text: `transfer to ${dest}` });
    const blind = item.el.attrs.type === 'blind' || (item.el.attrs.type === undefined && item.el.attrs.bridge !== 'true');
    if (blind) throw new VxmlEvent('connection.disconnect.transfer', `transferred to ${dest}`);
    state.scope[item.name] = 'far_end_disconnect';
    state.scope[`${item.name}$`] = this.sandbox.toRealm({ duration: 0 });
    await this.runFilled(state, new Set([item.name]));
  }

  // ---------------------------------------------------------------- events

  /**
   * Throws the event at a place: counts it, selects a catch (§5.2.4) and runs it in a new
   * anonymous scope with _event and _message, or applies the platform default (§5.2.5).
   */
  private async handleEvent(event: VxmlEvent, place: EventPlace, chain: number): Promise<void> {
    if (chain > MAX_EVENT_CHAIN) throw new CallEnded('aborted', { message: 'events kept raising events: the call was stopped' });
    this.channel.record({ kind: 'event', name: event.event, ...(event.message !== event.event ? { message: event.message } : {}) });
    countEvent(place.counters, event.event);
    const handler = selectCatch(place.scopes, event.event, place.counters, (cond) => this.sandbox.condition(cond, place.chain));
    if (handler) {
      const scope = this.sandbox.newScope({ _event: event.event, _message: event.message === event.event ? undefined : event.message });
      await this.content.execute(handler.children, [...place.chain, scope], { doc: place.doc, state: place.state });
      return;
    }
    switch (defaultAction(event.event)) {
      case 'reprompt':
        if (place.state) place.state.reprompt = true;
        return;
      case 'continue':
        return;
      case 'exit-hangup':
        throw this.channel.disconnected ? new CallEnded('disconnect', { values: this.channel.disconnected }) : new CallEnded('hangup');
      case 'exit-disconnect':
        throw new CallEnded('disconnect', { values: this.channel.disconnected, event: event.event, message: event.message });
      case 'exit-error':
        throw new CallEnded('error', { event: event.event, message: event.message });
    }
  }

  private step(): void {
    if (++this.steps > (this.options.maxSteps ?? DEFAULT_MAX_STEPS)) {
      throw new CallEnded('aborted', { message: `more than ${this.options.maxSteps ?? DEFAULT_MAX_STEPS} steps: the documents loop` });
    }
  }
}

/** session.connection (VoiceXML 2.0 §5.1.4): local is the number dialled, remote the caller. */
function connectionInfo(options: SimulationOptions): Record<string, unknown> {
  const uri = (number: string | undefined) => (number ? (/^[a-z]+:/i.test(number) ? number : `tel:${number}`) : undefined);
  return {
    local: { uri: uri(options.dnis) },
    remote: { uri: uri(options.ani) },
    protocol: { name: 'sip', version: '2.0', sip: { callid: options.callId } },
    redirect: [],
    originator: 'remote',
    callid: options.callId,
  };
}

/** options.headers, for the start URL's origin (an unparseable start URL fails its own fetch). */
function startOriginHeaders(options: SimulationOptions): ConstructorParameters<typeof CallFetcher>[1] {
  if (!options.headers || !URL.canParse(options.url)) return undefined;
  return { origin: new URL(options.url).origin, headers: options.headers };
}

/**
 * What a lax platform makes of keys no grammar accepts: the keys themselves (less the
 * termchar) fill the field being collected, as if its grammar had matched. Only a field's
 * own grammars are stretched this way; links and menus still need their keys.
 */
function laxMatch(keys: string, grammars: readonly ActiveGrammar[], termchar: string): { match: GrammarMatch; grammar: ActiveGrammar } | undefined {
  const grammar = grammars.find((g) => g.level === 'field');
  if (!grammar) return undefined;
  const utterance = termchar && keys.length > 1 && keys.endsWith(termchar) ? keys.slice(0, -termchar.length) : keys;
  return { match: { utterance, interpretation: utterance }, grammar };
}

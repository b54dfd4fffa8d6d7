import { elements, type VxmlElement, type VxmlNode } from '../dom';
import { builtinGrammar } from './builtin';
import { Chart, type RuleEvent } from './chart';
import { keyList, utteranceOf } from './keys';
import { describeRule, NULL, sequence, type Expansion, type Rule } from './rules';
import { interpret } from './sisr';
import { GrammarError, type DtmfGrammar } from './types';

/**
 * SRGS 1.0 XML grammars in DTMF mode, with SISR 1.0 tags (see sisr.ts).
 *
 * Where SRGS leaves room:
 * - DTMF tokens are 0-9 * # A-D. A token of several keys ("123") is read as those keys one
 *   by one, and a quoted token ("1") as its key, as mainstream platforms do.
 * - GARBAGE matches any number of keys (none included), fewest first; the keys it swallows
 *   are part of the utterance but not of any rule's SISR text.
 * - When the keys can be parsed more than one way, the match is the first parse in document
 *   order: earlier <one-of> items first, repeats taking as many rounds as still lets the rest
 *   match (greedy), an embedded builtin the longest run of keys that still lets the rest match.
 * - A left-recursive rule is only found when matching reaches it, as error.badfetch.grammar.
 */

const BAD = 'error.badfetch.grammar';
const bad = (message: string) => new GrammarError(BAD, message);

/** Resolves the document part of an external <ruleref uri> to its fetched <grammar> root. */
export type ExternalGrammars = (uri: string) => VxmlElement | undefined;

interface Document {
  rules: ReadonlyMap<string, Rule>;
  /** The rule named by the root attribute, when there is one. */
  root: Rule | undefined;
}

/** A string of tag text with its ECMAScript intact: textContent would fold a // comment into the next line. */
function rawText(el: VxmlElement): string {
  return el.children.map((child) => (child.kind === 'text' ? child.text : rawText(child))).join('');
}

/** SISR script tags, or literal tags ("semantics/1.0-literals") where the text is the value. */
function literalTags(grammar: VxmlElement): boolean {
  const format = grammar.attrs['tag-format'];
  // Absent is platform-defined in SRGS; mainstream platforms run such tags as SISR script.
  if (format === undefined || /^(swi-)?semantics\/1\.0(\.\d+)?$/.test(format)) return false;
  if (/^semantics\/1\.0(\.\d+)?-literals$/.test(format)) return true;
  throw new GrammarError('error.unsupported.format', `tag-format "${format}" is not supported (semantics/1.0 or semantics/1.0-literals)`);
}

function repeatRange(repeat: string): { min: number; max: number } {
  const parts = /^\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?$/.exec(repeat);
  if (!parts) throw bad(`repeat="${repeat}" is not n, n-m or n-`);
  const min = Number(parts[1]);
  const max = !parts[2] ? min : parts[3] ? Number(parts[3]) : Infinity;
  if (max < min) throw bad(`repeat="${repeat}" has its maximum below its minimum`);
  return { min, max };
}

function tokens(text: string): Expansion[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((token) => {
      const keys = keyList(token.replace(/^"|"$/g, ''));
      if (!keys) throw bad(`"${token}" is not a DTMF key (0-9 * # A-D)`);
      return keys.map((key): Expansion => ({ kind: 'key', key }));
    });
}

/** Compiles one grammar document and, through rulerefs, the external ones it reaches. */
class Compiler {
  private readonly documents = new Map<VxmlElement, Document>();
  /** Tags directly under <grammar> (of every grammar reached): run once, in one global scope, before the root rule. */
  readonly headerTags: string[] = [];

  constructor(private readonly external: ExternalGrammars | undefined) {}

  document(grammar: VxmlElement): Document {
    const known = this.documents.get(grammar);
    if (known) return known;
    if (grammar.name !== 'grammar') throw bad(`<${grammar.name}> is not a <grammar>`);
    const literals = literalTags(grammar);
    const rules = new Map<string, Rule>();
    const ruleElements = elements(grammar, 'rule');
    for (const el of ruleElements) {
      const id = el.attrs.id;
      if (!id) throw bad('a <rule> has no id');
      if (rules.has(id)) throw bad(`two rules have the id "${id}"`);
      rules.set(id, { id, isPublic: el.attrs.scope === 'public', body: NULL });
    }
    const rootId = grammar.attrs.root;
    const document: Document = { rules, root: rootId === undefined ? undefined : rules.get(rootId) };
    if (rootId !== undefined && !document.root) throw bad(`root="${rootId}" names no rule`);
    // Cached before the bodies are compiled: grammars may refer to each other.
    this.documents.set(grammar, document);
    for (const el of elements(grammar, 'tag')) this.headerTags.push(this.tagScript(el, literals));
    for (const el of ruleElements) rules.get(el.attrs.id)!.body = this.expansion(el.children, document, literals);
    return document;
  }

  private expansion(children: readonly VxmlNode[], document: Document, literals: boolean): Expansion {
    return sequence(
      children.flatMap((child) => (child.kind === 'text' ? tokens(child.text) : [this.element(child, document, literals)])),
    );
  }

  private element(el: VxmlElement, document: Document, literals: boolean): Expansion {
    switch (el.name) {
      case 'item': {
        const item = this.expansion(el.children, document, literals);
        return el.attrs.repeat === undefined ? item : { kind: 'repeat', item, ...repeatRange(el.attrs.repeat) };
      }
      case 'one-of': {
        if (el.children.some((child) => child.kind === 'text' && child.text.trim())) throw bad('<one-of> holds text outside an <item>');
        const items = elements(el);
        if (!items.length) throw bad('<one-of> has no <item>');
        const stray = items.find((item) => item.name !== 'item');
        if (stray) throw bad(`<one-of> holds a <${stray.name}>; only <item> is allowed`);
        return { kind: 'alt', items: items.map((item) => this.element(item, document, literals)) };
      }
      case 'token':
        return sequence(tokens(rawText(el)));
      case 'ruleref':
        return this.ruleref(el, document);
      case 'tag':
        return { kind: 'tag', script: this.tagScript(el, literals) };
      case 'example':
        return NULL;
      default:
        throw bad(`<${el.name}> is not allowed in a rule`);
    }
  }

  /** Literal tags become the equivalent script, so one interpreter runs both formats. */
  private tagScript(el: VxmlElement, literals: boolean): string {
    return literals ? `out = ${JSON.stringify(rawText(el).trim())};` : rawText(el);
  }

  private ruleref(el: VxmlElement, document: Document): Expansion {
    const { uri, special } = el.attrs;
    if ((uri === undefined) === (special === undefined)) throw bad('a <ruleref> needs exactly one of uri and special');
    if (special !== undefined) {
      if (special === 'NULL') return NULL;
      if (special === 'VOID') return { kind: 'void' };
      if (special === 'GARBAGE') return { kind: 'garbage' };
      throw bad(`special="${special}" is not NULL, VOID or GARBAGE`);
    }
    if (uri.startsWith('builtin:')) {
      if (!uri.startsWith('builtin:dtmf/')) throw bad(`${uri} is a speech grammar, referenced from a DTMF grammar`);
      return { kind: 'builtin', uri, grammar: builtinGrammar(uri) };
    }
    if (uri.startsWith('#')) {
      const rule = document.rules.get(uri.slice(1));
      if (!rule) throw bad(`<ruleref uri="${uri}"> names no rule`);
      return { kind: 'ref', rule };
    }
    return { kind: 'ref', rule: this.externalRule(uri) };
  }

  private externalRule(uri: string): Rule {
    const [location, fragment] = uri.split('#', 2);
    if (!this.external) throw new GrammarError('error.unsupported.uri', `<ruleref uri="${uri}">: external grammars are not available here`);
    const grammar = this.external(location);
    if (!grammar) throw bad(`<ruleref uri="${uri}">: ${location} was not fetched`);
    if (grammar.attrs.mode !== 'dtmf') throw bad(`<ruleref uri="${uri}">: ${location} is not a DTMF grammar`);
    const document = this.document(grammar);
    if (fragment === undefined) {
      if (!document.root) throw bad(`<ruleref uri="${uri}">: ${location} has no root rule`);
      return document.root;
    }
    const rule = document.rules.get(fragment);
    if (!rule) throw bad(`<ruleref uri="${uri}">: ${location} has no rule "${fragment}"`);
    if (!rule.isPublic) throw bad(`<ruleref uri="${uri}">: rule "${fragment}" is private to ${location}`);
    return rule;
  }
}

const GRAMMAR_TYPES = [
  'application/srgs+xml',
  // The media type of the VoiceXML 2.0 drafts, still found in documents written then.
  'application/grammar+xml',
];

/**
 * An inline <grammar> element (or the root element of a fetched .grxml document). Returns
 * undefined for a voice-mode grammar (mode absent or "voice"), which can never match keys.
 * Throws GrammarError: error.badfetch.grammar for a malformed grammar, error.unsupported.format
 * for another grammar format or tag-format, error.unsupported.uri for an external ruleref when
 * no `external` resolver is given. `external` receives the uri of <ruleref uri="other.grxml#rule">
 * without its fragment ("other.grxml", as written, unresolved) and returns that fetched document.
 */
export function srgsGrammar(grammar: VxmlElement, external?: ExternalGrammars): DtmfGrammar | undefined {
  const mode = grammar.attrs.mode;
  if (mode === undefined || mode === 'voice') return undefined;
  if (mode !== 'dtmf') throw bad(`mode="${mode}" is neither voice nor dtmf`);
  const type = grammar.attrs.type;
  if (type !== undefined && !GRAMMAR_TYPES.includes(type)) {
    throw new GrammarError('error.unsupported.format', `grammar type "${type}" is not supported (application/srgs+xml)`);
  }
  const compiler = new Compiler(external);
  const root = compiler.document(grammar).root;
  if (!root) throw bad('the grammar has no root attribute naming its root rule');
  const { headerTags } = compiler;
  return {
    describe: () => describeRule(root),
    match(keys) {
      const pressed = keyList(keys);
      if (!pressed) return undefined;
      const chart = new Chart(pressed);
      if (!chart.ends(root.body, 0).includes(pressed.length)) return undefined;
      const parse: RuleEvent = { kind: 'rule', rule: root, events: [] };
      chart.parse(root.body, 0, pressed.length, parse.events);
      return { utterance: utteranceOf(pressed), interpretation: interpret(parse, headerTags) };
    },
    couldContinue(keys) {
      const pressed = keyList(keys);
      if (!pressed) return false;
      const chart = new Chart(pressed);
      chart.ends(root.body, 0);
      return chart.wantsMore;
    },
  };
}

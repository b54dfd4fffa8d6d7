import { elements, textContent, type VxmlElement } from './dom';
import { VxmlEvent } from './events';
import {
  builtinGrammar,
  GrammarError,
  sequenceGrammar,
  srgsGrammar,
  type DtmfGrammar,
  type GrammarMatch,
} from './grammar';
import type { Sandbox, ScopeChain } from './scope';
import { spoken } from './speech';

/** A grammar the browser listens with, and what a match on it means. */
export interface ActiveGrammar {
  grammar: DtmfGrammar;
  /**
   * field: fills the item being collected; form: fills fields by slot; menu and link: go
   * where `jump` (a <choice> or <link>) says, by next/expr or event/eventexpr.
   */
  level: 'field' | 'form' | 'menu' | 'link';
  jump?: VxmlElement;
}

/** Fetches and parses an external grammar document (error.badfetch on failure). */
export type GrammarLoader = (url: string) => Promise<VxmlElement>;

/** Turns grammar-module failures into the VoiceXML event the browser throws. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof GrammarError) throw new VxmlEvent(err.event, err.message);
    throw err;
  }
}

/** The DTMF grammars among an element's <grammar> children (voice grammars never hear keys). */
async function grammarChildren(
  parent: VxmlElement,
  chain: ScopeChain,
  sandbox: Sandbox,
  base: string,
  load: GrammarLoader,
): Promise<DtmfGrammar[]> {
  const found: DtmfGrammar[] = [];
  for (const el of elements(parent, 'grammar')) {
    const src = el.attrs.src ?? (el.attrs.srcexpr ? spoken(sandbox.evaluate(el.attrs.srcexpr, chain)) : undefined);
    if (src?.startsWith('builtin:')) {
      // builtin:dtmf/… hears keys; builtin:grammar/… and builtin:voice/… only speech.
      if (src.startsWith('builtin:dtmf/')) found.push(guard(() => builtinGrammar(src)));
      continue;
    }
    let root = el;
    if (src) {
      let url: string;
      try {
        url = new URL(src, base).toString();
      } catch {
        throw new VxmlEvent('error.badfetch', `grammar "${src}" is not a URI`);
      }
      root = await load(url);
      // The mode of an external grammar is the referenced document's, unless the element says.
      if (el.attrs.mode && !root.attrs.mode) root = { ...root, attrs: { ...root.attrs, mode: el.attrs.mode } };
    }
    const grammar = guard(() => srgsGrammar(root));
    if (grammar) found.push(grammar);
  }
  return found;
}

/** A menu's choices with the keys that pick them: explicit dtmf, or 1-9 when the menu says dtmf="true". */
function menuChoices(menu: VxmlElement): { choice: VxmlElement; dtmf: string }[] {
  let implicit = 0;
  const auto = menu.attrs.dtmf === 'true';
  return elements(menu, 'choice').map((choice) => {
    if (choice.attrs.dtmf) return { choice, dtmf: choice.attrs.dtmf };
    // §2.2.1: only the first nine choices without their own dtmf are numbered.
    if (auto && implicit < 9) return { choice, dtmf: String(++implicit) };
    return { choice, dtmf: '' };
  });
}

export const dtmfGrammars = {
  menuChoices,

  /** A field's grammars: its type's builtin, its <grammar> children, its <option>s. */
  async forField(field: VxmlElement, chain: ScopeChain, sandbox: Sandbox, base: string, load: GrammarLoader): Promise<ActiveGrammar[]> {
    const grammars: DtmfGrammar[] = [];
    if (field.attrs.type) grammars.push(guard(() => builtinGrammar(field.attrs.type as string)));
    grammars.push(...(await grammarChildren(field, chain, sandbox, base, load)));
    for (const option of elements(field, 'option')) {
      if (!option.attrs.dtmf) continue;
      const value = option.attrs.value ?? textContent(option);
      grammars.push(guard(() => sequenceGrammar(option.attrs.dtmf as string, value)));
    }
    return grammars.map((grammar) => ({ grammar, level: 'field' as const }));
  },

  /** Form-level grammars (mixed initiative): active in the whole form unless a field is modal. */
  async forForm(form: VxmlElement, chain: ScopeChain, sandbox: Sandbox, base: string, load: GrammarLoader): Promise<ActiveGrammar[]> {
    const grammars = await grammarChildren(form, chain, sandbox, base, load);
    return grammars.map((grammar) => ({ grammar, level: 'form' as const }));
  },

  async forMenu(menu: VxmlElement, chain: ScopeChain, sandbox: Sandbox, base: string, load: GrammarLoader): Promise<ActiveGrammar[]> {
    const active: ActiveGrammar[] = [];
    for (const { choice, dtmf } of menuChoices(menu)) {
      if (dtmf) active.push({ grammar: guard(() => sequenceGrammar(dtmf, textContent(choice))), level: 'menu', jump: choice });
      for (const grammar of await grammarChildren(choice, chain, sandbox, base, load)) {
        active.push({ grammar, level: 'menu', jump: choice });
      }
    }
    return active;
  },

  /** The <link>s declared in an element (field, form, menu, document): their dtmf and grammars. */
  async forLinks(holder: VxmlElement, chain: ScopeChain, sandbox: Sandbox, base: string, load: GrammarLoader): Promise<ActiveGrammar[]> {
    const active: ActiveGrammar[] = [];
    for (const link of elements(holder, 'link')) {
      if (link.attrs.dtmf) active.push({ grammar: guard(() => sequenceGrammar(link.attrs.dtmf as string, link.attrs.dtmf)), level: 'link', jump: link });
      for (const grammar of await grammarChildren(link, chain, sandbox, base, load)) active.push({ grammar, level: 'link', jump: link });
    }
    return active;
  },
};

/**
 * The first grammar, in order of precedence, that accepts the keys. The termchar ends the
 * caller's entry and is not part of it (§6.3.3), so it is tried without it first; a
 * grammar that names "#" itself still matches a lone "#".
 */
export function matchInput(
  keys: string,
  grammars: readonly ActiveGrammar[],
  termchar: string,
): { match: GrammarMatch; grammar: ActiveGrammar } | undefined {
  const attempts = termchar && keys.length > 1 && keys.endsWith(termchar) ? [keys.slice(0, -termchar.length), keys] : [keys];
  for (const attempt of attempts) {
    for (const grammar of grammars) {
      const match = guard(() => grammar.grammar.match(attempt));
      if (match) return { match, grammar };
    }
  }
  return undefined;
}

import type { DtmfGrammar } from './types';

/**
 * An SRGS grammar compiled for matching. Sequences are right-nested pairs so that every
 * suffix of a sequence is a node of its own, which is what the chart memoises on.
 */
export type Expansion =
  | { kind: 'key'; key: string }
  | { kind: 'seq'; head: Expansion; tail: Expansion }
  | { kind: 'alt'; items: readonly Expansion[] }
  | { kind: 'repeat'; item: Expansion; min: number; max: number }
  | { kind: 'ref'; rule: Rule }
  | { kind: 'tag'; script: string }
  /** Special rule NULL, and what an expansion of nothing but tags or examples matches. */
  | { kind: 'null' }
  | { kind: 'void' }
  | { kind: 'garbage' }
  /** <ruleref uri="builtin:dtmf/digits?length=4"/>, a builtin grammar inside an SRGS one. */
  | { kind: 'builtin'; uri: string; grammar: DtmfGrammar };

export interface Rule {
  id: string;
  isPublic: boolean;
  /** Set once the rule's content is compiled: rules can refer to rules compiled after them. */
  body: Expansion;
}

export const NULL: Expansion = { kind: 'null' };

export function sequence(parts: readonly Expansion[]): Expansion {
  return parts.reduceRight<Expansion | undefined>((tail, head) => (tail ? { kind: 'seq', head, tail } : head), undefined) ?? NULL;
}

type Context = 'top' | 'sequence' | 'unit';

/**
 * The grammar in SRGS ABNF notation ("1 | 2", "(0 | 1)<1->", "[*] 9"), rule references
 * expanded in place unless recursive, tags left out: what a tester needs to know which keys
 * are accepted. Long grammars are cut short.
 */
export function describeRule(rule: Rule): string {
  const text = show(rule.body, 'top', new Set([rule])) || '$NULL';
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

function show(node: Expansion, context: Context, expanding: Set<Rule>): string {
  switch (node.kind) {
    case 'key':
      return node.key;
    case 'seq': {
      const parts: string[] = [];
      for (let at: Expansion = node; ; at = at.tail) {
        if (at.kind !== 'seq') {
          parts.push(show(at, 'sequence', expanding));
          break;
        }
        parts.push(show(at.head, 'sequence', expanding));
      }
      const words = parts.filter(Boolean);
      return context === 'unit' && words.length > 1 ? `(${words.join(' ')})` : words.join(' ');
    }
    case 'alt': {
      const text = node.items.map((item) => show(item, 'top', expanding) || '$NULL').join(' | ');
      return context === 'top' ? text : `(${text})`;
    }
    case 'repeat': {
      if (node.min === 0 && node.max === 1) return `[${show(node.item, 'top', expanding)}]`;
      const range = node.min === node.max ? `${node.min}` : `${node.min}-${node.max === Infinity ? '' : node.max}`;
      return `${show(node.item, 'unit', expanding)}<${range}>`;
    }
    case 'ref': {
      if (expanding.has(node.rule)) return `$${node.rule.id}`;
      expanding.add(node.rule);
      const text = show(node.rule.body, context, expanding);
      expanding.delete(node.rule);
      return text;
    }
    case 'tag':
    case 'null':
      return '';
    case 'void':
      return '$VOID';
    case 'garbage':
      return '$GARBAGE';
    case 'builtin':
      return `$<${node.uri}>`;
  }
}

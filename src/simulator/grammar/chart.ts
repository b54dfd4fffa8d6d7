import type { Expansion, Rule } from './rules';
import { GrammarError } from './types';

/** What a parse did, in order: the input SISR interprets (see sisr.ts). */
export type ParseEvent =
  | { kind: 'key'; key: string }
  | { kind: 'tag'; script: string }
  | RuleEvent
  | { kind: 'builtin'; utterance: string; interpretation: unknown };

export interface RuleEvent {
  kind: 'rule';
  rule: Rule;
  events: ParseEvent[];
}

type Repeat = Extract<Expansion, { kind: 'repeat' }>;

/** Marks a memo entry being computed: meeting it again means a rule recursed without consuming a key. */
const IN_PROGRESS: readonly number[] = Object.freeze([]);

/**
 * Matches one key sequence against compiled rules in two steps. `ends` says where an
 * expansion starting at a position can end, memoised per expansion and position, so
 * ambiguous grammars cost polynomial time however many parses they allow. Each list is in
 * preference order (see srgs.ts), and `parse` then walks the preferred parse that ends
 * exactly where asked, recording its events.
 */
export class Chart {
  private readonly memo = new Map<object, Map<number | string, readonly number[]>>();
  /** Set when some parse consumed every key and wanted another: the caller may still be typing. */
  wantsMore = false;

  constructor(private readonly keys: readonly string[]) {}

  ends(node: Expansion, at: number): readonly number[] {
    return this.memoised(node, at, () => this.compute(node, at));
  }

  /** Appends the events of the preferred parse of `node` from `at` to `end` (one of its ends). */
  parse(node: Expansion, at: number, end: number, events: ParseEvent[]): void {
    switch (node.kind) {
      case 'key':
        events.push({ kind: 'key', key: node.key });
        return;
      case 'seq': {
        const split = this.ends(node.head, at).find((middle) => this.ends(node.tail, middle).includes(end))!;
        this.parse(node.head, at, split, events);
        this.parse(node.tail, split, end, events);
        return;
      }
      case 'alt':
        this.parse(node.items.find((item) => this.ends(item, at).includes(end))!, at, end, events);
        return;
      case 'repeat':
        this.parseRepeat(node, at, 0, end, events);
        return;
      case 'ref': {
        const rule: RuleEvent = { kind: 'rule', rule: node.rule, events: [] };
        this.parse(node.rule.body, at, end, rule.events);
        events.push(rule);
        return;
      }
      case 'tag':
        events.push({ kind: 'tag', script: node.script });
        return;
      case 'builtin': {
        const match = node.grammar.match(this.keys.slice(at, end).join(''))!;
        events.push({ kind: 'builtin', ...match });
        return;
      }
      case 'null':
      case 'void':
      case 'garbage':
        return;
    }
  }

  private compute(node: Expansion, at: number): readonly number[] {
    const last = this.keys.length;
    switch (node.kind) {
      case 'key':
        if (at === last) this.wantsMore = true;
        return this.keys[at] === node.key ? [at + 1] : [];
      case 'seq':
        return unique(this.ends(node.head, at).flatMap((middle) => this.ends(node.tail, middle)));
      case 'alt':
        return unique(node.items.flatMap((item) => this.ends(item, at)));
      case 'repeat':
        return this.repeatEnds(node, at, 0);
      case 'ref':
        return this.ends(node.rule.body, at);
      case 'tag':
      case 'null':
        return [at];
      case 'void':
        return [];
      case 'garbage':
        // It could always swallow one more key.
        this.wantsMore = true;
        return range(at, last);
      case 'builtin': {
        const rest = this.keys.slice(at).join('');
        if (node.grammar.couldContinue(rest)) this.wantsMore = true;
        return range(at, last)
          .reverse()
          .filter((end) => node.grammar.match(rest.slice(0, end - at)));
      }
    }
  }

  /**
   * Where `count` rounds done from `at` can end: another round first (greedy), then stopping.
   * A round must consume a key unless the minimum is not reached yet, so repeats of things that
   * can match nothing still end. Past the minimum of an unbounded repeat every count behaves
   * alike, which keeps the memo small.
   */
  private repeatEnds(node: Repeat, at: number, count: number): readonly number[] {
    const state = node.max === Infinity ? Math.min(count, node.min) : count;
    return this.memoised(node, `${at}:${state}`, () => {
      const ends: number[] = [];
      if (count < node.max) {
        for (const next of this.ends(node.item, at)) {
          if (next > at || count < node.min) ends.push(...this.repeatEnds(node, next, count + 1));
        }
      }
      if (count >= node.min) ends.push(at);
      return unique(ends);
    });
  }

  /** Mirrors repeatEnds: the first round that still reaches `end`, else stopping here. */
  private parseRepeat(node: Repeat, at: number, count: number, end: number, events: ParseEvent[]): void {
    if (count >= node.max) return;
    for (const next of this.ends(node.item, at)) {
      if ((next > at || count < node.min) && this.repeatEnds(node, next, count + 1).includes(end)) {
        this.parse(node.item, at, next, events);
        this.parseRepeat(node, next, count + 1, end, events);
        return;
      }
    }
  }

  private memoised(node: object, key: number | string, compute: () => readonly number[]): readonly number[] {
    let table = this.memo.get(node);
    if (!table) this.memo.set(node, (table = new Map()));
    const known = table.get(key);
    if (known === IN_PROGRESS) throw new GrammarError('error.badfetch.grammar', 'a rule refers to itself before any key (left recursion)');
    if (known) return known;
    table.set(key, IN_PROGRESS);
    const ends = compute();
    table.set(key, ends);
    return ends;
  }
}

/** First occurrences, in order: a later parse reaching the same end is a less preferred one. */
const unique = (ends: readonly number[]) => [...new Set(ends)];

/** from, from + 1, ..., to */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

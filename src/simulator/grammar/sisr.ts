import vm from 'node:vm';
import type { ParseEvent, RuleEvent } from './chart';
import { GrammarError } from './types';

/**
 * SISR 1.0 interpretation of a parse. Each rule match gets a scope of its own with:
 * - `out`, its rule variable, starting as an empty object. A rule whose `out` is still that
 *   untouched object at its end takes its text as value, so a grammar without tags returns the
 *   keys matched ("1 2 3"), as SISR's default for rules without semantic tags.
 * - `rules.<id>` / `rules.latest()`: the values of the rules it referenced, the latest match of
 *   each; `meta.<id>.text`, `meta.latest()` and `meta.current()` (its own text so far), each
 *   with score 1 (keys are never misheard).
 * A rule's text is the keys it and the rules under it matched, separated by single spaces.
 *
 * Tags run in a fresh node:vm context per match (no host objects reach it) under a time limit;
 * any failure is error.semantic. The result is copied out as JSON so callers get plain values
 * of their own realm (functions and undefined properties are dropped, dates become strings).
 */

/**
 * Wall-clock time, so it must allow for a busy machine: at 50 ms, and even at 250 ms on a
 * 2-core host at load 25, ordinary tags ran out and became error.semantic. A second still
 * ends an endless loop.
 */
const TIME_LIMIT_MS = 1_000;

/** Helpers the generated program uses; `__scope` builds one rule match's rules, meta and result. */
const PRELUDE = `
function __scope(text) {
  var last, rules = {}, meta = {};
  var hidden = function (target, name, value) {
    Object.defineProperty(target, name, { value: value, writable: true, configurable: true });
  };
  hidden(rules, 'latest', function () { return last && last.v; });
  hidden(meta, 'latest', function () { return last && { text: last.t, score: 1 }; });
  hidden(meta, 'current', function () { return { text: text.join(' '), score: 1 }; });
  return {
    rules: rules,
    meta: meta,
    ref: function (name, result) {
      last = result;
      if (name !== null) {
        rules[name] = result.v;
        meta[name] = { text: result.t, score: 1 };
      }
      if (result.t !== '') text.push(result.t);
    },
    done: function (out, initial) {
      var matched = text.join(' ');
      var untouched = out === initial && Object.keys(initial).length === 0;
      return { v: untouched ? matched : out, t: matched };
    }
  };
}
`;

/** The value of the grammar's root rule for this parse. `headerTags` are the <tag>s outside rules. */
export function interpret(root: RuleEvent, headerTags: readonly string[]): unknown {
  // Without tags every rule's value is its text: no need for a script context.
  if (!hasTags(root)) return textOf(root);
  const program = `${PRELUDE}\n${headerTags.map((tag) => `${tag}\n;`).join('\n')}\nJSON.stringify(${ruleFunction(root)}().v);`;
  const context = vm.createContext({}, { codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
  let json: unknown;
  try {
    json = vm.runInContext(program, context, { timeout: TIME_LIMIT_MS });
  } catch (err) {
    // Errors thrown in the context are of its realm: not instanceof this realm's Error.
    const message = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
    throw new GrammarError('error.semantic', `a grammar tag failed: ${message}`);
  }
  return typeof json === 'string' ? JSON.parse(json) : undefined;
}

function hasTags(rule: RuleEvent): boolean {
  return rule.events.some((event) => event.kind === 'tag' || (event.kind === 'rule' && hasTags(event)));
}

function textOf(rule: RuleEvent): string {
  return rule.events
    .map((event) => (event.kind === 'key' ? event.key : event.kind === 'rule' ? textOf(event) : event.kind === 'builtin' ? event.utterance : ''))
    .filter(Boolean)
    .join(' ');
}

/**
 * One rule match as a function expression: its tags inline, in order, so `var`s declared in
 * one tag are seen by the next (SISR gives each rule match one scope); keys and referenced
 * rules recorded between them, so meta.current() and rules.<id> are current when a tag runs.
 */
function ruleFunction(rule: RuleEvent): string {
  return [
    '(function () {',
    'var out = {}, __initial = out, __text = [], __s = __scope(__text), rules = __s.rules, meta = __s.meta;',
    ...rule.events.map(step),
    'return __s.done(out, __initial);',
    '})',
  ].join('\n');
}

function step(event: ParseEvent): string {
  switch (event.kind) {
    case 'key':
      return `__text.push(${JSON.stringify(event.key)});`;
    case 'tag':
      // Own lines: a tag may end in a // comment or leave out its last semicolon.
      return `${event.script}\n;`;
    case 'rule':
      return `__s.ref(${JSON.stringify(event.rule.id)}, ${ruleFunction(event)}());`;
    case 'builtin':
      return `__s.ref(null, { v: ${JSON.stringify(event.interpretation)}, t: ${JSON.stringify(event.utterance)} });`;
  }
}

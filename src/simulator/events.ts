import { elements, type VxmlElement } from './dom';

/** A VoiceXML event in flight: thrown by <throw>, by the platform (noinput) or by a failure. */
export class VxmlEvent extends Error {
  constructor(
    readonly event: string,
    message?: string,
  ) {
    super(message ?? event);
  }
}

/** The shorthand elements and the event each one catches. */
const SHORTHANDS = ['noinput', 'nomatch', 'help', 'error'] as const;
const CATCH_ELEMENTS = ['catch', ...SHORTHANDS];

/** The catch handlers declared directly in an element (field, form, menu, vxml). */
export function catchesIn(element: VxmlElement): VxmlElement[] {
  return elements(element, ...CATCH_ELEMENTS);
}

function caughtEvents(handler: VxmlElement): string[] {
  if (handler.name !== 'catch') return [handler.name];
  // An absent or empty event attribute catches everything ("catch-all").
  return (handler.attrs.event ?? '').split(/\s+/).filter(Boolean);
}

/**
 * VoiceXML 2.0 §5.2.4: "error" catches "error.badfetch.http.404" (a prefix on a dot
 * boundary), never "errors"; a trailing dot in the attribute is allowed, as in "error.".
 */
export function eventMatches(caught: string, thrown: string): boolean {
  const name = caught.endsWith('.') ? caught.slice(0, -1) : caught;
  return name === '' || thrown === name || thrown.startsWith(`${name}.`);
}

/**
 * §5.2.2: an event increments the counters of its full name and of every prefix, so
 * "error.badfetch.http.404" counts for catches of "error.badfetch" and "error" too ("" is
 * the catch-all's).
 */
export function countEvent(counters: Map<string, number>, event: string): void {
  const parts = event.split('.');
  for (let i = 0; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('.');
    counters.set(prefix, (counters.get(prefix) ?? 0) + 1);
  }
}

/**
 * The catch selection algorithm (§5.2.4): the handlers of every scope, innermost scope
 * first and then document order, that catch the event and whose cond holds; each is
 * measured against the counter of the name it catches by; the "correct count" is the
 * highest count not above that counter among all of them, across scopes; the first
 * handler with that count wins.
 */
export function selectCatch(
  scopes: readonly VxmlElement[],
  event: string,
  counters: ReadonlyMap<string, number>,
  holds: (cond: string | undefined) => boolean,
): VxmlElement | undefined {
  const counterOf = (name: string) => counters.get(name.endsWith('.') ? name.slice(0, -1) : name) ?? 0;
  const candidates = scopes
    .flatMap(catchesIn)
    .map((handler) => {
      const names = caughtEvents(handler);
      const matching = names.length === 0 ? [''] : names.filter((name) => eventMatches(name, event));
      return { handler, matching, count: Math.max(1, Number.parseInt(handler.attrs.count ?? '1', 10) || 1) };
    })
    .filter((c) => c.matching.length > 0 && c.count <= Math.max(...c.matching.map(counterOf)) && holds(c.handler.attrs.cond));
  if (candidates.length === 0) return undefined;
  const best = Math.max(...candidates.map((c) => c.count));
  return candidates.find((c) => c.count === best)?.handler;
}

/** What the platform does with an event nobody catches (§5.2.5). */
export type DefaultAction = 'reprompt' | 'continue' | 'exit-error' | 'exit-hangup' | 'exit-disconnect';

export function defaultAction(event: string): DefaultAction {
  if (['noinput', 'nomatch', 'help', 'maxspeechtimeout'].some((name) => eventMatches(name, event))) return 'reprompt';
  if (eventMatches('cancel', event)) return 'continue';
  if (eventMatches('connection.disconnect.hangup', event)) return 'exit-hangup';
  if (eventMatches('connection.disconnect', event) || eventMatches('telephone.disconnect', event)) return 'exit-disconnect';
  // error.*, exit and every application-defined event: the interpreter exits.
  return 'exit-error';
}

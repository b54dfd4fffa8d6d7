import type { VxmlDocument } from './documents';
import type { FetchRequest } from './fetcher';
import type { EndReason } from './types';

/**
 * Control flow of the interpreter, as exceptions: executable content runs deep inside
 * if/foreach/catch, and a <goto>, <submit>, <exit> or <return> anywhere in it leaves all of
 * that at once, as in a real browser. Events travel the same way (VxmlEvent, events.ts).
 */

export type TransitionTarget =
  | { kind: 'item'; name: string }
  | { kind: 'dialog'; id: string }
  /** Another document (or this one, fetched again), optionally at a dialog. */
  | { kind: 'document'; request: FetchRequest; fragment?: string };

export class Transition {
  constructor(readonly target: TransitionTarget) {}
}

/** The end of the whole call: <exit>, <disconnect> handled, an uncaught error, no more input. */
export class CallEnded {
  constructor(
    readonly reason: EndReason,
    readonly details: { values?: Record<string, unknown>; event?: string; message?: string } = {},
  ) {}
}

/** <return> from a subdialog: values for the caller, or an event thrown in the caller. */
export class Returned {
  constructor(readonly result: { values?: Record<string, unknown>; event?: string; message?: string }) {}
}

/** A document fetched with everything it needs (its application root) before the jump. */
export interface PreparedDocument {
  doc: VxmlDocument;
  root?: VxmlDocument;
  fragment?: string;
}

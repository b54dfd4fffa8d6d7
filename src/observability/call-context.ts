import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';

/** The call a piece of work belongs to, as it appears on every log line of that work. */
export interface CallFields {
  /** Our call id. */
  callId?: string;
  /** The IVR platform's own call id (the `callid` it sent), when it sent one. */
  platformCallId?: string;
}

/**
 * Which call the code running now works for, carried through awaits by AsyncLocalStorage
 * so that any module's log line gets the call id (the logger's mixin reads it) without
 * loggers being passed down through every function.
 */
const storage = new AsyncLocalStorage<CallFields>();

/**
 * Gives each request an empty context of its own. A /vxml/start request only learns its
 * call id half-way (the service creates it), so the context is mutable: bindCall fills
 * it, and the lines logged after that, the request line included, carry the id.
 */
export const callContext: RequestHandler = (_req, _res, next) => {
  storage.run({}, next);
};

/** Marks the work running now (a request) as this call's. No-op outside a context. */
export function bindCall(callId: string, platformCallId: string): void {
  const fields = storage.getStore();
  if (!fields) return;
  fields.callId = callId;
  if (platformCallId) fields.platformCallId = platformCallId;
}

/**
 * Runs background work (an outbox attempt) as the given call's. Work that was queued
 * behind other work would otherwise run in whichever context released it; inside the
 * same call's request the platform id is kept.
 */
export function runForCall<T>(callId: string, work: () => T): T {
  const current = storage.getStore();
  return storage.run(current?.callId === callId ? { ...current } : { callId }, work);
}

/**
 * The fields to add to a log line written now (empty outside a call). A copy: pino merges
 * the line's own fields into what the mixin returns.
 */
export function currentCallFields(): CallFields {
  return { ...storage.getStore() };
}

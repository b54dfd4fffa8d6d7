import type { CallEvent, EventType } from '../store/port';

/**
 * One request's body: `{ "events": [{ id, type, callId, campaignId, at, detail }] }`.
 * The id is the store's event id, the same on every retry and from every instance, so a
 * receiver de-duplicates by it. Details hold no whole phone numbers: the call flow masks
 * them when it records them (number-entered, number-opted-out).
 */
export interface OutgoingEvent {
  id: number;
  type: EventType;
  callId: string;
  campaignId: string | null;
  at: string;
  detail: Record<string, string | number | boolean>;
}

export interface Batch {
  /** The JSON text sent and signed. */
  body: string;
  /** The events in it (what the endpoint wants among those read). */
  events: OutgoingEvent[];
  /** The id the cursor moves to once the endpoint takes it: the last event covered, sent or passed over. */
  lastId: number;
}

export function outgoingEvent(e: CallEvent): OutgoingEvent {
  return { id: e.id, type: e.type, callId: e.callId, campaignId: e.campaignId, at: e.createdAt, detail: e.detail ?? {} };
}

/**
 * The next batch from `events` (in id order): the types the endpoint wants, as many as
 * fit in maxBytes (at least one: an event is a few hundred bytes, far below any limit
 * allowed). Events of other types are passed over but covered, so the cursor moves past
 * them. Stops at the first event that does not fit: the cursor must not pass an event
 * that was not sent.
 */
export function nextBatch(events: readonly CallEvent[], types: readonly EventType[] | undefined, maxBytes: number): Batch {
  const wanted = types ? new Set<EventType>(types) : undefined;
  const parts: string[] = [];
  const sent: OutgoingEvent[] = [];
  const frame = Buffer.byteLength('{"events":[]}');
  let bytes = frame;
  let lastId = 0;
  for (const e of events) {
    if (wanted && !wanted.has(e.type)) {
      lastId = e.id;
      continue;
    }
    const item = outgoingEvent(e);
    const json = JSON.stringify(item);
    const size = Buffer.byteLength(json) + (parts.length ? 1 : 0);
    if (parts.length && bytes + size > maxBytes) break;
    parts.push(json);
    sent.push(item);
    bytes += size;
    lastId = e.id;
  }
  return { body: `{"events":[${parts.join(',')}]}`, events: sent, lastId };
}

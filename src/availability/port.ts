/**
 * The availability port: is anyone there to answer a chat, asked per call before the
 * offer is made. Adapters (LivePerson's IVR Engagement API, any JSON endpoint) live
 * beside it; "static" needs none; opening hours are a pure rule (schedule.ts).
 */

export interface AvailabilityRequest {
  campaignId: string;
  /** E.164 (or bare digits) as the call was started; adapters may pass them on. */
  dnis: string;
  ani: string;
  callId: string;
  /** The call's allow-listed IVR context, if any (LivePerson passes it as engagement attributes). */
  context?: Readonly<Record<string, string>>;
}

export type AvailabilityAnswer =
  | {
      kind: 'available';
      /** A one-time URL to the conversation (LivePerson's urlToChat): never cached or reused. */
      chatUrl?: string;
      /** How long chatUrl stays valid, from when the answer arrived. */
      validForSeconds?: number;
      expectedWaitSeconds?: number;
      queueSize?: number;
    }
  | { kind: 'not-available'; detail?: string }
  /** Timeout, network failure, HTTP error, malformed answer: the campaign's onError decides. */
  | { kind: 'error'; detail: string };

export interface AvailabilityCheck {
  /** Never throws: every failure is an `error` answer. Stops when the signal aborts. */
  check(request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer>;
}

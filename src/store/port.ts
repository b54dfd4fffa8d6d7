import type { CallResult, Page } from '../vxml/model';

/**
 * The store port. Everything is async so a networked backend (PostgreSQL) can sit
 * behind the same interface as the embedded SQLite default.
 */

/** Where a call is in the dialog; each IVR step is only accepted in its own states. */
export type CallState = 'offered' | 'capturing' | 'confirming' | 'sent' | 'failed' | 'handed-back';

export const TERMINAL_STATES: readonly CallState[] = ['sent', 'failed', 'handed-back'];

export type IntegrationMode = 'goto' | 'subdialog';

export interface CallRecord {
  id: string;
  campaignId: string | null;
  mode: IntegrationMode;
  /** As the IVR sent them (normalised dial strings), for reports and links. */
  dnis: string;
  ani: string;
  /** The IVR platform's own call id, if it sent one. */
  platformCallId: string;
  state: CallState;
  /** The number we will text (E.164) and where it came from. */
  destination: string | null;
  destinationSource: 'ani' | 'entered' | null;
  invalidNumberCount: number;
  result: CallResult | null;
  /** The page last served: what a repeated or out-of-order request gets again. */
  lastPage: Page | null;
  createdAt: string;
  expiresAt: string;
}

export type NewCall = Pick<
  CallRecord,
  'id' | 'campaignId' | 'mode' | 'dnis' | 'ani' | 'platformCallId' | 'state' | 'result' | 'lastPage' | 'createdAt' | 'expiresAt'
>;

export type CallUpdate = Partial<
  Pick<CallRecord, 'state' | 'destination' | 'destinationSource' | 'invalidNumberCount' | 'result' | 'lastPage'>
>;

export const EVENT_TYPES = [
  'started',
  'offered',
  'accepted',
  'declined',
  'handed-back',
  'number-entered',
  'number-invalid',
  'number-confirmed',
  'sms-sent',
  'sms-failed',
  'link-clicked',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  detail?: Record<string, string | number | boolean>;
}

export interface CallEvent extends NewEvent {
  id: number;
  callId: string;
  campaignId: string | null;
  createdAt: string;
}

export type MessageStatus = 'queued' | 'sent' | 'failed';

export interface MessageRecord {
  id: string;
  callId: string;
  campaignId: string;
  to: string;
  body: string;
  status: MessageStatus;
  gateway: string;
  vendorMessageId: string | null;
  errorCode: string | null;
  errorDetail: string | null;
  createdAt: string;
  updatedAt: string;
}

export type NewMessage = Pick<MessageRecord, 'id' | 'callId' | 'campaignId' | 'to' | 'body' | 'gateway' | 'createdAt'>;

export type MessageUpdate = Partial<Pick<MessageRecord, 'status' | 'vendorMessageId' | 'errorCode' | 'errorDetail'>>;

export interface ShortLink {
  code: string;
  target: string;
  callId: string | null;
  campaignId: string | null;
  clicks: number;
  createdAt: string;
}

export interface Store {
  createCall(call: NewCall, events: NewEvent[]): Promise<void>;
  getCall(id: string): Promise<CallRecord | undefined>;
  /** Applies the change and records its events in one transaction. */
  updateCall(id: string, update: CallUpdate, events: NewEvent[], at: string): Promise<void>;
  listEvents(callId: string): Promise<CallEvent[]>;

  /**
   * Inserts the message unless this call already has one for the same number; either
   * way returns the stored one. This is what makes a repeated submit send nothing twice.
   */
  createMessage(message: NewMessage): Promise<{ created: boolean; message: MessageRecord }>;
  updateMessage(id: string, update: MessageUpdate, at: string): Promise<MessageRecord>;
  listMessages(query: { limit: number; before?: string }): Promise<MessageRecord[]>;

  /** False when the code is taken (the caller draws another). */
  createShortLink(link: Omit<ShortLink, 'clicks'>): Promise<boolean>;
  /** Counts the click and records a link-clicked event; undefined for an unknown code. */
  clickShortLink(code: string, at: string): Promise<ShortLink | undefined>;

  close(): Promise<void>;
}

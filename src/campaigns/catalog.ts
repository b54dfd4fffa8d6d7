import type { FieldError } from '../http/validation';
import type { Campaigns } from './registry';
import type { Campaign } from './schema';

/**
 * The campaigns admins manage: what is in service, what each file says, and the changes
 * the admin API and console make. The call flow only sees the read side (Campaigns).
 */
export interface CampaignEntry {
  id: string;
  /** The file in the campaigns folder that holds it ("example.json"). */
  file: string;
  /** The campaign as written in its file, without the defaults filled in. */
  document: Record<string, unknown>;
  /** The version in service: the file's, or its last good one while the file is invalid. */
  campaign: Campaign;
  /** Content hash of the version in service (the ETag; If-Match compares it). */
  version: string;
  /**
   * ok: the file as it is serves. last-good: the file is invalid and its last good version
   * (in memory, or the copy kept from an earlier run) serves until it is fixed.
   */
  status: 'ok' | 'last-good';
  /** When the file's current content stopped validating: why. Empty when it is fine. */
  problems: string[];
}

/** A file that is in the folder but not in service (it never validated). */
export interface FileProblem {
  file: string;
  problems: string[];
}

export type SaveResult =
  | { kind: 'saved'; entry: CampaignEntry }
  | { kind: 'not-found' }
  /** The document fails the campaign schema or a cross-campaign rule; fields say where. */
  | { kind: 'invalid'; fields: FieldError[] }
  /** Another campaign already has this id, or If-Match named an older version. */
  | { kind: 'conflict'; message: string; currentVersion?: string };

export interface ChangeOptions {
  /** Refuse the change unless the version in service is this one (optimistic locking). */
  ifMatch?: string;
}

export interface CampaignCatalog extends Campaigns {
  entries(): CampaignEntry[];
  entry(id: string): CampaignEntry | undefined;
  /** Files that hold no campaign in service, and why. */
  fileProblems(): FileProblem[];
  create(document: unknown): Promise<SaveResult>;
  update(id: string, document: unknown, options?: ChangeOptions): Promise<SaveResult>;
  setActive(id: string, active: boolean, options?: ChangeOptions): Promise<SaveResult>;
  remove(id: string, options?: ChangeOptions): Promise<SaveResult>;
  /** Re-reads the folder now (the watcher does this by itself after hand edits). */
  reload(): void;
  /** Stops watching the folder. */
  close(): void;
}

/** Checks that need the environment: the gateway is configured, the secrets are set. */
export type CampaignCheck = (campaign: Campaign) => string[];

import { createHash } from 'node:crypto';
import { fieldErrors, type FieldError } from '../http/validation';
import type { CampaignCheck, SaveResult } from './catalog';
import { documentProblems } from './document-limits';
import { CampaignError, CampaignRegistry } from './registry';
import { CampaignSchema, type Campaign } from './schema';

/**
 * What every campaign catalog does with a document the same way, wherever it keeps it (the
 * campaigns folder, PostgreSQL): validate it as the exact text that will be stored, name
 * its version by a hash of that text (the ETag), and check a set of campaigns together.
 */

/** A version of a campaign that passed every check. */
export interface Good {
  document: Record<string, unknown>;
  campaign: Campaign;
  version: string;
}

/** A document ready to be stored: the exact text and what it holds. */
export interface Prepared {
  kind: 'prepared';
  text: string;
  good: Good;
}

export type Invalid = Extract<SaveResult, { kind: 'invalid' }>;

/**
 * Validates a document as the text that will be stored: what goes into service is
 * exactly what is stored (a value JSON cannot hold is dropped before, not after).
 */
export function prepareDocument(document: unknown, check: CampaignCheck, keepId?: string): Prepared | Invalid {
  // Before fileText: JSON.stringify of a document nested 100,000 deep overflows the stack.
  const unsafe = documentProblems(document);
  if (unsafe.length) return invalid(unsafe.map((p) => ({ field: p.path.join('.'), message: p.message })));
  const text = fileText(document);
  const json: unknown = JSON.parse(text);
  const parsed = CampaignSchema.safeParse(json);
  if (!parsed.success) return invalid(fieldErrors(parsed.error));
  if (keepId !== undefined && parsed.data.id !== keepId) {
    return invalid([{ field: 'id', message: `must stay ${keepId}: a campaign's id cannot change` }]);
  }
  const problems = check(parsed.data);
  if (problems.length) return invalid(problems.map(checkProblemField));
  return { kind: 'prepared', text, good: { document: json as Record<string, unknown>, campaign: parsed.data, version: versionOf(text) } };
}

const CAMPAIGN_FIELDS = new Set(Object.keys(CampaignSchema.shape));

/**
 * Checks word problems as "field: message" when they are about one field ("gateway: twilio
 * is not configured"); a client is pointed at that field, else at the campaign as a whole.
 */
function checkProblemField(problem: string): FieldError {
  const [, field, message] = /^([\w$]+): (.+)$/s.exec(problem) ?? [];
  return field && message && CAMPAIGN_FIELDS.has(field) ? { field, message } : { field: '', message: problem };
}

/** The registry of these campaigns, or the rules they break together. */
export function registryOf(campaigns: Campaign[]): CampaignRegistry | string[] {
  try {
    return new CampaignRegistry(campaigns);
  } catch (err) {
    if (err instanceof CampaignError) return err.problems;
    throw err;
  }
}

/** Files are written as people write them: 2-space indent, a newline at the end. */
export function fileText(document: unknown): string {
  // JSON.stringify gives undefined for undefined and functions; that is the JSON null.
  return `${JSON.stringify(document, null, 2) ?? 'null'}\n`;
}

/** The ETag of a file: the first 16 hex digits of the SHA-256 of its bytes. */
export function versionOf(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

export function invalid(fields: FieldError[]): Invalid {
  return { kind: 'invalid', fields };
}

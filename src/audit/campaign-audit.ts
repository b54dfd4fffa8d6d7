import type { CampaignEntry, SaveResult } from '../campaigns/catalog';
import type { Actor } from './actor';
import { diff } from './diff';
import type { AuditTrail } from './trail';

export type CampaignAction = 'campaign.create' | 'campaign.update' | 'campaign.activate' | 'campaign.deactivate' | 'campaign.delete';

/**
 * Records a campaign change that was saved (a refused one changed nothing), the same way
 * for the API and the console: the campaign as target, the diff of its file's document.
 * `before` is the entry as it was before the change (undefined for a create).
 */
export async function auditCampaignChange(
  trail: AuditTrail,
  actor: Actor,
  action: CampaignAction,
  before: CampaignEntry | undefined,
  result: SaveResult,
): Promise<void> {
  if (result.kind !== 'saved') return;
  const after = action === 'campaign.delete' ? undefined : result.entry.document;
  await trail.record(actor, action, `campaign:${result.entry.id}`, {
    changes: diff(before?.document ?? {}, after ?? {}),
    version: action === 'campaign.delete' ? null : result.entry.version,
  });
}

import { z } from 'zod';
import { CampaignSchema } from './schema';

/**
 * The campaign format as JSON Schema, generated from the zod schema that validates it,
 * so editors can check and complete campaign files. Cross-field rules (placeholders,
 * prompts required for languages without defaults) are only checked at start-up.
 */
export function campaignJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(CampaignSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'ivr-deflect campaign',
  };
}

export function campaignJsonSchemaText(): string {
  return `${JSON.stringify(campaignJsonSchema(), null, 2)}\n`;
}

import { CampaignSchema } from '../../src/campaigns/schema';

/** The smallest campaign the rendering tests use: one DNIS, a link with the call id. */
export const supportCampaign = CampaignSchema.parse({
  id: 'support',
  name: 'Support chat',
  dnis: ['+16175550100'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?call={callId}',
});

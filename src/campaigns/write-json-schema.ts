import fs from 'node:fs';
import path from 'node:path';
import { campaignJsonSchemaText } from './json-schema';

// `npm run schema`: regenerates campaigns/campaign.schema.json (a test checks it is current).
const target = path.resolve(__dirname, '../../campaigns/campaign.schema.json');
fs.writeFileSync(target, campaignJsonSchemaText());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);

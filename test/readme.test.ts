import fs from 'node:fs';
import path from 'node:path';
import { schemaAvailable, vxmlSchemaErrors } from './helpers/vxml-schema';

// IVR designers copy these snippets into their platforms: they must be valid VoiceXML.
const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
const snippets = [...readme.matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('README VoiceXML snippets', () => {
  it('has the goto and subdialog integration snippets', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    expect(snippets[1]).toContain('mode=subdialog');
    // README "Platforms": the Cisco subdialog example.
    expect(snippets.some((snippet) => snippet.includes('platform=cisco'))).toBe(true);
  });

  (schemaAvailable ? it.each(snippets.map((s, i) => [i + 1, s])) : it.skip.each([[0, '']]))(
    'snippet %i is valid VoiceXML 2.1',
    async (_n, snippet) => {
      expect(await vxmlSchemaErrors(snippet as string)).toEqual([]);
    },
  );
});

/**
 * The conformance documents themselves: every hand-written fixture must be valid VoiceXML
 * 2.1 (W3C schema), so that a failing conformance test always points at the simulator,
 * never at a malformed fixture. (Documents of the dynamic routes are checked during the
 * calls, through the simulator's validate option.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { CONFORMANCE_DIR } from '../helpers/conformance-harness';
import { schemaAvailable, vxmlSchemaErrors } from '../helpers/vxml-schema';

function vxmlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? vxmlFiles(path.join(dir, e.name)) : e.name.endsWith('.vxml') ? [path.join(dir, e.name)] : []))
    .sort();
}

const files = vxmlFiles(CONFORMANCE_DIR).map((f) => path.relative(CONFORMANCE_DIR, f));

test('there are conformance fixtures', () => {
  expect(files.length).toBeGreaterThan(50);
});

(schemaAvailable ? describe : describe.skip)('conformance fixtures are schema-valid VoiceXML 2.1', () => {
  test.each(files)('%s', async (file) => {
    const xml = fs.readFileSync(path.join(CONFORMANCE_DIR, file), 'utf8');
    expect(xml).toContain('<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml"');
    expect(await vxmlSchemaErrors(xml)).toEqual([]);
  });
});

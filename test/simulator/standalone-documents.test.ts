import { CampaignSchema, promptFor, type Campaign, type CampaignInput } from '../../src/campaigns/schema';
import { endPage, offerPage, rootPage } from '../../src/deflection/pages';
import { parseInput, scriptedInputs } from '../../src/simulator/inputs';
import { simulateCall } from '../../src/simulator/simulate';
import type { CallOutcome } from '../../src/simulator/types';
import type { IntegrationMode } from '../../src/store/port';
import type { Page } from '../../src/vxml/model';
import { renderPage } from '../../src/vxml/render';
import { startFixtureServer, type FixtureServer } from '../helpers/fixture-server';
import { schemaAvailable, vxmlSchemaErrors } from '../helpers/vxml-schema';

/**
 * Issue 17 part 5: each document stands alone. Some platforms never load the application
 * root a document names (JVoiceXML's subdialogs did not:
 * https://github.com/JVoiceXML/JVoiceXML/issues/66), so the result variables and the error
 * catch must be in the document that uses them. Our pages are served by a plain web server
 * and run by the simulator with and without the root: the call must end the same way.
 * The paths that need no error are in campaigns/scenarios/no-application-root.json.
 */

const FAILING_RETURN_URL = '/back-to-ivr'; // not served: every fetch of it is a 404

function campaign(overrides: Partial<CampaignInput> = {}): Campaign {
  return CampaignSchema.parse({
    id: 'support',
    name: 'Support chat',
    dnis: ['+16175550100'],
    message: 'Chat with us: {link}',
    link: 'https://chat.example.com/start?call={callId}',
    ...overrides,
  });
}

let server: FixtureServer;
/** The pages served, by path; the root is served under the path pages.ts links to. */
let pages: Record<string, Page> = {};

beforeAll(async () => {
  const serve = (path: string) => () => {
    const page = pages[path];
    return page ? { body: renderPage(page), headers: { 'content-type': 'application/voicexml+xml' } } : { status: 404, body: 'not found' };
  };
  server = await startFixtureServer({
    routes: { '/page.vxml': serve('/page.vxml'), '/root.vxml': serve('/root.vxml') },
  });
});
afterAll(() => server.close());

function serve(page: Page, root: Page): void {
  pages = { '/page.vxml': page, '/root.vxml': root };
}

async function call(inputs: string[], loadApplicationRoot: boolean): Promise<CallOutcome> {
  return simulateCall({
    url: `${server.baseUrl}/page.vxml`,
    inputs: scriptedInputs(inputs.map(parseInput)),
    loadApplicationRoot,
    ...(schemaAvailable ? { validate: vxmlSchemaErrors } : {}),
  });
}

const rootFetched = (o: CallOutcome) => o.documents.some((d) => new URL(d).pathname === '/root.vxml');
const invalid = (o: CallOutcome) => o.transcript.filter((e) => e.kind === 'invalid');

describe.each([false, true])('loadApplicationRoot: %s', (loadApplicationRoot) => {
  it.each<IntegrationMode>(['subdialog', 'goto'])(
    'an answer that cannot be submitted (HTTP 404) hands the call back with status failed (%s mode)',
    async (mode) => {
      const c = campaign();
      serve(offerPage({ campaign: c, callId: 'c-1', mode }, promptFor(c, 'offer')), rootPage(c, mode));
      const o = await call(['1'], loadApplicationRoot);
      expect(o.transcript).toContainEqual(expect.objectContaining({ kind: 'event', name: 'error.badfetch.http.404' }));
      expect(o.reason).toBe(mode === 'subdialog' ? 'return' : 'exit');
      expect(o.values).toEqual({ status: 'failed', reason: 'error', maskedNumber: '' });
      expect(rootFetched(o)).toBe(loadApplicationRoot);
      expect(invalid(o)).toEqual([]);
    },
  );

  it('an end page whose return URL is down tries it once more, then exits with the result (no loop)', async () => {
    const c = campaign({ onHandBack: { action: 'goto', url: `${server.baseUrl}${FAILING_RETURN_URL}` } });
    serve(
      endPage(c, 'goto', { status: 'declined', reason: 'caller-declined', maskedNumber: '' }, ['declined']),
      rootPage(c, 'goto'),
    );
    const o = await call([], loadApplicationRoot);
    const returnFetches = o.transcript.filter((e) => e.kind === 'fetch' && new URL(e.url).pathname === FAILING_RETURN_URL);
    expect(returnFetches).toHaveLength(2);
    expect(o.reason).toBe('exit');
    expect(o.values).toEqual({ status: 'failed', reason: 'error', maskedNumber: '' });
    expect(rootFetched(o)).toBe(loadApplicationRoot);
  });

  it('a sent text keeps its status when the return URL fails', async () => {
    const c = campaign({ onSent: { action: 'goto', url: `${server.baseUrl}${FAILING_RETURN_URL}` } });
    serve(endPage(c, 'goto', { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' }, ['sent']), rootPage(c, 'goto'));
    const o = await call([], loadApplicationRoot);
    expect(o.reason).toBe('exit');
    expect(o.values).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' });
  });
});

it('the simulator really leaves the root out: a page without a catch of its own (stored by an older call) ends in an error', async () => {
  const c = campaign();
  const { onError: _onError, ...older } = offerPage({ campaign: c, callId: 'c-1', mode: 'subdialog' }, promptFor(c, 'offer'));
  serve(older, rootPage(c, 'subdialog'));
  const withRoot = await call(['1'], true);
  expect(withRoot.reason).toBe('return');
  const withoutRoot = await call(['1'], false);
  expect(withoutRoot.reason).toBe('error');
  expect(withoutRoot.event).toBe('error.badfetch.http.404');
});

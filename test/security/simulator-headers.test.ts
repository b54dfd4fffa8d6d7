import { startFakeServer, type FakeServer } from '../fakes/fake-server';
import { CallFetcher } from '../../src/simulator/fetcher';

/**
 * The console's simulated calls carry a key to this server's IVR documents. A campaign may
 * send a call on to another host (its return URL, its hold audio): that host never gets it.
 */

let ours: FakeServer;
let theirs: FakeServer;
beforeAll(async () => {
  const vxml = () => ({ status: 200, headers: { 'content-type': 'application/voicexml+xml' }, body: '<vxml version="2.1"/>' });
  ours = await startFakeServer(vxml);
  theirs = await startFakeServer(vxml);
});
afterAll(async () => {
  await ours.close();
  await theirs.close();
});

it('sends the headers to the start URL’s origin only', async () => {
  const fetcher = new CallFetcher(() => undefined, { origin: ours.url, headers: { 'x-ivr-simulator': 'the-key' } });
  await fetcher.fetch({ url: `${ours.url}/vxml/start`, method: 'GET', timeoutMs: 2000 });
  await fetcher.fetch({ url: `${ours.url}/vxml/offer`, method: 'POST', fields: [['answer', '1']], timeoutMs: 2000 });
  await fetcher.fetch({ url: `${theirs.url}/ivr/return?status=sent`, method: 'GET', timeoutMs: 2000 });
  expect(ours.requests.map((r) => r.headers['x-ivr-simulator'])).toEqual(['the-key', 'the-key']);
  expect(theirs.requests.map((r) => r.headers['x-ivr-simulator'])).toEqual([undefined]);
});

describe('confined to one origin (the console simulator)', () => {
  it('does not fetch a URL of another origin, nor follow a redirect to one, and ends the call showing where it went', async () => {
    const entries: unknown[] = [];
    const fetcher = new CallFetcher((entry) => entries.push(entry), undefined, ours.url);
    await fetcher.fetch({ url: `${ours.url}/vxml/start`, method: 'GET', timeoutMs: 2000 });
    ours.respond(() => ({ status: 302, headers: { location: `${theirs.url}/admin` } }));
    const before = theirs.requests.length;

    const redirected = fetcher.fetch({ url: `${ours.url}/vxml/next`, method: 'GET', timeoutMs: 2000 });
    await expect(redirected).rejects.toEqual(expect.objectContaining({ reason: 'left-origin' }));
    await expect(fetcher.fetch({ url: 'http://169.254.169.254/latest/meta-data/', method: 'GET', timeoutMs: 2000 })).rejects.toEqual(
      expect.objectContaining({ reason: 'left-origin', details: { message: expect.stringContaining('http://169.254.169.254/latest/meta-data/') } }),
    );
    expect(theirs.requests.length).toBe(before);
    expect(entries).toContainEqual(expect.objectContaining({ url: `${theirs.url}/admin`, error: 'not fetched: outside this server' }));
  });
});

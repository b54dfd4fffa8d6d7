import type { AddressInfo } from 'node:net';
import type { CampaignInput } from '../../src/campaigns/schema';
import { DEFAULT_SCENARIOS, resultText, runScenarioFiles, scenarioFiles } from '../../src/simulator/run-scenarios';
import { PLATFORM_NAMES, PROFILES } from '../../src/vxml/platforms/profiles';
import { shippedCampaigns, startTestServer, waitForTheGateway, type TestServer } from '../helpers/server';
import { collectingVxmlValidator } from '../helpers/vxml-schema';

/**
 * Every shipped scenario, run under every platform profile (platform= on the start URL):
 * each profile's documents are walked by the simulator end to end, checked against the
 * W3C schema when it is present, and must reach the same outcomes as generic. The documents
 * are schema-checked together once each profile's run is over (collectingVxmlValidator).
 */
describe('the shipped scenarios under every platform profile', () => {
  let server: TestServer;
  let baseUrl: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // As in scenarios.test.ts: every shipped campaign, and many calls from one withheld
    // caller keying numbers of one range.
    const testing = shippedCampaigns().map((c) => ({ ...c, limits: { perCaller: [{ max: 1000, withinMinutes: 1440 }] } }) as CampaignInput);
    server = startTestServer(waitForTheGateway({ campaigns: testing, env: { PUMPING_MAX_PER_RANGE: '1000' } }));
    const http = server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => http.once('listening', () => resolve()));
    baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    close = async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    };
  });
  afterAll(() => close());

  it.each(PLATFORM_NAMES.map((name, i) => [name, String(4400 + i)] as const))(
    'pass under %s',
    async (platform, run) => {
      const schema = collectingVxmlValidator();
      const results = await runScenarioFiles(scenarioFiles([DEFAULT_SCENARIOS]), {
        baseUrl,
        // A new run per profile: new numbers, so no limit carries over from another profile.
        run,
        params: { platform },
        validate: schema.validate,
      });
      // Every document each call fetched is valid VoiceXML 2.1 (when the schema is present).
      expect(schema.count()).toBeGreaterThan(0);
      expect(await schema.invalid()).toEqual([]);
      // A profile without <disconnect namelist> (cisco) returns nothing at a hang-up, by
      // design: there, and only there, the scenario's returned values cannot be read.
      const unreadable = (r: (typeof results)[number]) =>
        !PROFILES[platform].disconnectNamelist &&
        r.outcome?.reason === 'disconnect' &&
        r.failures.length > 0 &&
        r.failures.every((f) => /^returned \w+ was not set/.test(f));
      expect(results.filter((r) => !r.passed && !unreadable(r)).map((r) => resultText(r))).toEqual([]);
      expect(results.length).toBeGreaterThanOrEqual(20);
      // Every document of every call was written for this platform: our URLs carried it.
      const ours = results.flatMap((r) => r.outcome?.documents ?? []).filter((d) => new URL(d).searchParams.has('call'));
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.filter((d) => new URL(d).searchParams.get('platform') !== platform)).toEqual([]);
    },
    240_000,
  );
});

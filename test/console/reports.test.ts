import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import type { TestServer } from '../helpers/server';
import { signIn, startConsole, type Admin } from './helpers';

/** The reports page: the same funnel as the API, for a signed-in admin, in the admin's zone. */

let server: TestServer;
let admin: Admin;
const NOW = new Date('2026-11-21T15:00:00Z');
beforeEach(async () => {
  server = await startConsole({ now: () => NOW });
  admin = await signIn(server.app);
});
afterEach(() => server.close());

async function call(keys: string[]): Promise<void> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: '+18005550100', ani: `+1617555${Math.floor(1000 + Math.random() * 8999)}` });
  for (const key of keys) await caller.press(key);
}

const figure = (html: string, name: string) => new RegExp(`data-figure="${name}">(\\d+)<`).exec(html)?.[1];

it('shows the last 7 days by default with the totals, both charts and a CSV of the same report', async () => {
  await call(['1', '1']);
  await call(['2']);
  const page = await admin.get('/admin/reports');
  expect(page.status).toBe(200);
  expect(page.text).toContain('value="2026-11-15"');
  expect(page.text).toContain('value="2026-11-21"');
  expect([figure(page.text, 'calls'), figure(page.text, 'offered'), figure(page.text, 'accepted'), figure(page.text, 'textsSent')]).toEqual(['2', '2', '1', '1']);
  expect(page.text.match(/<svg[^>]*role="img"/g)).toHaveLength(2);

  const csv = await admin.get('/admin/reports.csv?from=2026-11-15&to=2026-11-21&timeZone=UTC&by=day&campaign=');
  expect(csv.status).toBe(200);
  expect(csv.headers['content-disposition']).toContain('funnel-2026-11-15-2026-11-21.csv');
  const lines = csv.text.trim().split(/\r?\n/);
  expect(lines).toHaveLength(1 + 7);
  expect(lines.at(-1)).toMatch(/^2026-11-21,/);
});

it.each([
  ['from=yesterday', 'from'],
  ['from=2026-11-21&to=2026-11-01', 'to'],
  ['timeZone=Mars/Base', 'timeZone'],
  ['by=week', 'by'],
  ['by=hour&from=2026-01-01&to=2026-11-21', 'to'],
])('answers %s with the error beside the field', async (query, field) => {
  const page = await admin.get(`/admin/reports?${query}`);
  expect(page.status).toBe(400);
  expect(page.text).toMatch(new RegExp(`id="${field}-error">[^<]+<`));
  expect(page.text).not.toContain('data-figure');
});

it('needs a signed-in admin for the page and the CSV', async () => {
  expect((await request(server.app).get('/admin/reports')).status).toBe(303);
  expect((await request(server.app).get('/admin/reports.csv')).status).toBe(303);
});

import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import pino from 'pino';
import { composeSharedServer, type Server } from '../src/compose';
import { loadConfig } from '../src/config';
import type { Store } from '../src/store/port';
import type { EndPage, QuestionPage } from '../src/vxml/model';
import { IvrCaller } from './helpers/ivr-caller';
import { describePostgres, TEST_DATABASE_URL } from './helpers/postgres';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from './helpers/server';

/**
 * Issue 15 part 2: a call stores its last page as a recipe (which builder, and the few
 * arguments the call and campaign cannot give), not the whole rendered page (about a
 * kilobyte a call). Replayed on the real app: the IVR repeats each request of a call, as a
 * platform retrying a submit does, and must get the same document, byte for byte, rebuilt
 * from the recipe; rows written before recipes still re-serve the page they hold.
 */

const DNIS = '+18005550100';
const MOBILE_ANI = '+16175551234';
/** A campaign whose offer comes from a variant, so the offer is rebuilt from call.variant. */
const CAMPAIGN = campaign({ variants: [{ id: 'short', weight: 1, offer: 'Press 1 for a chat link by text. Press 2 to wait.' }] });
const CLOCK = new Date('2026-11-24T20:00:00Z');

function callIdOf(xml: string): string {
  const match = /[?&]call=([^&"]+)/.exec(xml.replace(/&amp;/g, '&'));
  if (!match?.[1]) throw new Error('no call id in the document');
  return match[1];
}

/** What the calls.last_page column holds for a call, as stored. */
type ColumnOf = (callId: string) => Promise<string>;

/** Repeats the request that led here; the answer must be the same document as the first. */
async function expectSameOnRepeat(caller: IvrCaller): Promise<void> {
  const first = caller.xml;
  await caller.repeat();
  expect(caller.xml).toBe(first);
}

async function expectStoredAsRecipe(column: ColumnOf, callId: string, builder: string): Promise<void> {
  const stored = await column(callId);
  const parsed = JSON.parse(stored) as Record<string, unknown>;
  expect(parsed.builder).toBe(builder);
  expect(parsed).not.toHaveProperty('prompt');
  expect(parsed).not.toHaveProperty('kind');
  // A whole question page was over a kilobyte; a recipe is a few dozen bytes.
  expect(Buffer.byteLength(stored)).toBeLessThan(200);
}

function replayTests(ctx: () => { app: Server['app']; store: Store; campaigns: Server['campaigns']; column: ColumnOf }): void {
  it('re-serves the same document at every step of a call: offer, confirm, enter number, read back, end', async () => {
    const { app, column } = ctx();
    const caller = new IvrCaller(app);
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI, callid: 'cvp-1' });
    const callId = callIdOf(caller.xml);
    expect(caller.prompts()).toBe('Press 1 for a chat link by text. Press 2 to wait.');
    // A repeated start is a new call; on the offer, an answer outside its grammar gets it
    // again as a no-match, the count kept in the recipe.
    await caller.press('9');
    expect(caller.prompts()).toBe("Sorry, I didn't get that. Press 1 for a chat link by text. Press 2 to wait.");
    expect(JSON.parse(await column(callId))).toEqual({ builder: 'offer', noMatches: 1 });

    await caller.press('1');
    expect(caller.spokenDigits()).toEqual(['1234']);
    await expectSameOnRepeat(caller);
    await expectStoredAsRecipe(column, callId, 'confirm-ani');

    await caller.press('2');
    expect(caller.prompts()).toContain('Please enter your 10-digit mobile number');
    await expectSameOnRepeat(caller);
    await expectStoredAsRecipe(column, callId, 'enter-number');

    await caller.press('9005551234'); // premium rate: asked again, with why
    expect(caller.prompts()).toContain("Sorry, that isn't a mobile number we can text.");
    await expectSameOnRepeat(caller);
    expect(JSON.parse(await column(callId))).toEqual({ builder: 'enter-number', after: 'invalidNumber' });

    await caller.press('6172539876');
    expect(caller.spokenDigits()).toEqual(['6172539876']);
    await expectSameOnRepeat(caller);
    await expectStoredAsRecipe(column, callId, 'read-back');

    await caller.press('1');
    expect(caller.ending().result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+*******9876' });
    await expectSameOnRepeat(caller);
    await expectStoredAsRecipe(column, callId, 'end');
  });

  it('still ends a finished call whose campaign was removed, with its result, without the campaign\'s words', async () => {
    const { app, campaigns } = ctx();
    expect((await campaigns.create(campaign({ id: 'sales', dnis: ['+1 800 555 0199'] }))).kind).toBe('saved');
    const caller = new IvrCaller(app);
    await caller.start({ dnis: '+18005550199', ani: MOBILE_ANI });
    await caller.press('2');
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'declined', reason: 'caller-declined', maskedNumber: '' } });
    expect(caller.prompts()).not.toBe('');

    expect((await campaigns.remove('sales')).kind).toBe('saved');
    await caller.repeat();
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'declined', reason: 'caller-declined', maskedNumber: '' } });
    expect(caller.prompts()).toBe('');
  });

  it('re-serves the whole page a row written before recipes holds', async () => {
    const { app, store } = ctx();
    const at = CLOCK.toISOString();
    const expiresAt = new Date(CLOCK.getTime() + 600_000).toISOString();
    const base = { campaignId: 'support', mode: 'goto' as const, dnis: DNIS, ani: MOBILE_ANI, platformCallId: '', createdAt: at, expiresAt };
    const oldQuestion: QuestionPage = {
      kind: 'question',
      lang: 'en-US',
      application: 'root.vxml?campaign=support&mode=goto',
      prompt: [{ kind: 'text', text: 'Wording from before recipes. Press 1 or 2.' }],
      answer: { kind: 'keys', keys: ['1', '2'] },
      noInput: [{ kind: 'text', text: 'Sorry?' }],
      noMatch: [{ kind: 'text', text: 'Sorry?' }],
      maxRetries: 3,
      submitUrl: 'offer?call=old-question&mode=goto',
      giveUpUrls: { noInput: 'giveup?call=old-question', noMatch: 'giveup?call=old-question', hangUp: 'giveup?call=old-question' },
    };
    const oldEnd: EndPage = {
      kind: 'end',
      lang: 'en-US',
      application: 'root.vxml?campaign=support&mode=goto',
      prompt: [{ kind: 'text', text: 'An ending from before recipes.' }],
      result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' },
      ending: { kind: 'hangup' },
    };
    await store.createCall({ ...base, id: 'old-question', state: 'offered', result: null, lastPage: oldQuestion }, []);
    await store.createCall({ ...base, id: 'old-end', state: 'sent', result: oldEnd.result, lastPage: oldEnd }, []);

    // An answer outside the grammar gets the page the call is on; a finished call its last.
    const question = new IvrCaller(app);
    await question.submit('/vxml/offer?call=old-question&mode=goto', { answer: '9' });
    expect(question.prompts()).toBe('Wording from before recipes. Press 1 or 2.');
    const ended = new IvrCaller(app);
    await ended.submit('/vxml/confirm?call=old-end&mode=goto', { answer: '1' });
    expect(ended.prompts()).toBe('An ending from before recipes.');
    expect(ended.ending()).toEqual({ kind: 'disconnect', result: oldEnd.result });
  });
}

describe('SQLite: the last page is stored as a recipe', () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ campaigns: [CAMPAIGN], now: () => CLOCK });
  });
  afterAll(() => server.close());

  replayTests(() => ({
    app: server.app,
    store: server.store,
    campaigns: server.campaigns,
    column: async (callId) => {
      const db = new Database(path.join(server.dataDir, 'ivr-deflect.db'), { readonly: true });
      try {
        return (db.prepare('SELECT last_page FROM calls WHERE id = ?').get(callId) as { last_page: string }).last_page;
      } finally {
        db.close();
      }
    },
  }));
});

describePostgres('PostgreSQL: the last page is stored as a recipe', () => {
  const schema = `lastpage_${Math.random().toString(16).slice(2, 10)}`;
  let server: Server;

  async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await query(`CREATE SCHEMA ${schema}`);
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const config = loadConfig({ DATABASE_URL: url.href, ADMIN_TOKEN, PUBLIC_BASE_URL, IVR_ALLOWED_CIDRS: '127.0.0.0/8,::1' });
    server = await composeSharedServer(config, pino({ level: 'silent' }), { now: () => CLOCK, outboxPollMs: 20 });
    expect((await server.campaigns.create(CAMPAIGN)).kind).toBe('saved');
  });
  afterAll(async () => {
    await server?.close();
    await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  replayTests(() => ({
    app: server.app,
    store: server.store,
    campaigns: server.campaigns,
    column: async (callId) => (await query<{ last_page: string }>('SELECT last_page FROM calls WHERE id = $1', [callId]))[0]!.last_page,
  }));
});

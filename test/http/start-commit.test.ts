import path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { resultOf } from '../faults/support';
import { startTestServer, type TestServer } from '../helpers/server';
import { expectValidVxml } from '../helpers/vxml-schema';

/**
 * Call starts are committed together (the SQLite store's group commit). Whatever happens
 * to that commit, every caller waiting on it hears a document: the offer once the call is
 * stored, the polite hand-back when it could not be, never an HTTP error.
 */

const DNIS = '+18005550100';
const CALLERS = 12;

let server: TestServer;
beforeEach(() => {
  server = startTestServer();
});
afterEach(() => server.close());

function startCalls() {
  return Promise.all(
    Array.from({ length: CALLERS }, (_, i) =>
      request(server.app).get('/vxml/start').query({ dnis: DNIS, ani: `+1617555${String(1000 + i)}`, callid: `cvp-${i}` }),
    ),
  );
}

it('offers every one of many concurrent callers, and every offered call is in the store', async () => {
  const answers = await startCalls();
  const callIds = answers.map((res) => {
    expect(res.status).toBe(200);
    expect(res.text).toContain('press 1');
    return /offer\?call=([^&"]+)/.exec(res.text)?.[1];
  });
  expect(new Set(callIds).size).toBe(CALLERS);
  for (const id of callIds) expect((await server.store.getCall(id as string))?.state).toBe('offered');
  await expectValidVxml(answers[0]?.text ?? '');
});

it('hands every waiting caller back politely when their commit fails', async () => {
  // The disk refuses: another connection makes every new call's insert fail.
  const admin = new Database(path.join(server.dataDir, 'ivr-deflect.db'));
  admin.exec(`CREATE TRIGGER refuse_calls BEFORE INSERT ON calls BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
  admin.close();

  const answers = await startCalls();

  for (const res of answers) {
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
    expect(resultOf(res.text)).toEqual({ status: 'failed', reason: 'error', maskedNumber: '' });
  }
  await expectValidVxml(answers[0]?.text ?? '');
  const started = await server.store.searchEvents({ from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z', type: 'started', limit: 100 });
  expect(started).toHaveLength(0);
});

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import { create } from 'xmlbuilder2';

/**
 * The in-house baseline of issue 21: what a team would write instead of this project.
 * Express 5, one SQLite insert per request in WAL mode with the same durability as our
 * store (synchronous = NORMAL: see src/store/sqlite.ts), and an offer document rendered
 * with xmlbuilder2 for every request, padded to the size of our start document.
 * No campaign, no offer rules, no logs, no metrics: the naive version.
 */
const bodyBytes = Number(process.env.BODY_BYTES ?? 1200);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-in-house-'));
const db = new Database(path.join(dir, 'calls.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE calls (id TEXT PRIMARY KEY, dnis TEXT NOT NULL, ani TEXT NOT NULL, platform_call_id TEXT, created_at TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO calls (id, dnis, ani, platform_call_id, created_at) VALUES (?, ?, ?, ?, ?)');

function offer(callId: string, padding: string): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const vxml = doc.ele('http://www.w3.org/2001/vxml', 'vxml', { version: '2.1', 'xml:lang': 'en-US', application: 'root.vxml' });
  const form = vxml.ele('form', { id: 'offer' });
  const field = form.ele('field', { name: 'answer' });
  field.ele('prompt').txt(`Would you rather chat with us by text message? Press 1 for a text, or 2 to stay on the line.${padding}`);
  const grammar = field.ele('grammar', { mode: 'dtmf', version: '1.0', root: 'keys', xmlns: 'http://www.w3.org/2001/06/grammar' });
  const oneOf = grammar.ele('rule', { id: 'keys' }).ele('one-of');
  oneOf.ele('item').txt('1');
  oneOf.ele('item').txt('2');
  field.ele('noinput').ele('reprompt');
  field.ele('filled').ele('submit', { next: `offer?call=${callId}`, namelist: 'answer', method: 'post' });
  return doc.end({ prettyPrint: true });
}

// Pad the prompt so the document is the size of ours (the call id has a fixed length).
const sample = offer('x'.repeat(22), '');
const padding = ' '.repeat(Math.max(0, bodyBytes - Buffer.byteLength(sample)));

const app = express();
app.get('/vxml/start', (req, res) => {
  const id = randomBytes(16).toString('base64url').slice(0, 22);
  const q = req.query as Record<string, string | undefined>;
  insert.run(id, q.dnis ?? '', q.ani ?? '', q.callid ?? null, new Date().toISOString());
  res.type('application/voicexml+xml; charset=utf-8').set('Cache-Control', 'no-store').send(offer(id, padding));
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () => server.close(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
process.on('SIGTERM', stop);

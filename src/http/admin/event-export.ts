import express, { type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { outgoingEvent, type OutgoingEvent } from '../../events-out/batch';
import type { CallEvent, Store } from '../../store/port';
import { toCsv } from '../csv';
import { parseOr400 } from '../validation';
import { EventsExportQuery } from './schemas';
import { requireRole } from '../../auth/roles';

/** Events read from the store per page: the export never holds more than this in memory. */
export const EXPORT_PAGE_SIZE = 1_000;

const CSV_HEADER = ['id', 'type', 'call_id', 'campaign_id', 'at', 'detail'];

/**
 * GET /events/export: the call events of a range for a warehouse, as NDJSON (each line
 * what events out sends: the same ids, so loads de-duplicate against deliveries) or CSV
 * (detail as a JSON cell; formula-safe like every CSV we write). Streamed page by page.
 */
export function eventExportRoutes(store: Store, log: Logger, pageSize = EXPORT_PAGE_SIZE): Router {
  const router = express.Router();
  router.get('/events/export', requireRole('viewer'), async (req, res) => {
    const q = parseOr400(EventsExportQuery, req.query, 'query', res);
    if (!q) return;
    const csv = q.format === 'csv';
    const name = `events-${q.from.slice(0, 10)}-${q.to.slice(0, 10)}.${csv ? 'csv' : 'ndjson'}`;
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      // attachment() sets a type from the file name (none for .ndjson): ours comes after it.
      .attachment(name)
      .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    if (csv) await write(res, toCsv(CSV_HEADER, []));
    const query = { from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), limit: pageSize, ...(q.type ? { type: q.type } : {}), ...(q.campaign ? { campaignId: q.campaign } : {}) };
    let afterId = 0;
    try {
      for (;;) {
        if (res.destroyed) return; // the client went away: stop reading
        const page: CallEvent[] = await store.searchEvents({ ...query, afterId });
        if (page.length) await write(res, page.map(outgoingEvent).map(csv ? csvRow : ndjsonLine).join(''));
        if (page.length < pageSize) break;
        afterId = page.at(-1)!.id;
      }
      res.end();
    } catch (err) {
      // Headers are gone: all we can do is cut the answer short, so it is not taken as whole.
      log.error({ err: (err as Error).message }, 'events export failed part way');
      res.destroy(err as Error);
    }
  });
  return router;
}

function ndjsonLine(e: OutgoingEvent): string {
  return `${JSON.stringify(e)}\n`;
}

function csvRow(e: OutgoingEvent): string {
  // toCsv without a header row: the header went first, once.
  return toCsv([String(e.id), e.type, e.callId, e.campaignId ?? '', e.at, JSON.stringify(e.detail)], []);
}

/** Writes a chunk, waiting for the client to drain when its buffer is full (a slow reader holds no pages). */
function write(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      res.off('drain', done);
      res.off('close', done);
      res.off('error', settle);
      if (error) reject(error);
      else resolve();
    };
    const done = () => settle();
    res.once('drain', done);
    res.once('close', done);
    res.once('error', settle);
  });
}

import { json, startFakeServer, type FakeReply, type FakeServer, type Responder } from './fake-server';

/**
 * A fake LivePerson IVR Engagement API. Like the real one it answers only
 * POST /api/account/{accountId}/external/engagement?v=1.0 (anything else gets a 404 in
 * LivePerson's error shape); the test's responder answers the rest, by default Available.
 */

export const LP_ACCOUNT_ID = '90412079';

export interface FakeLivePerson extends FakeServer {
  /** The engagement resource path for the account (no query). */
  engagementPath: string;
}

export function engagementPath(accountId: string): string {
  return `/api/account/${accountId}/external/engagement`;
}

export async function startFakeLivePerson(
  accountId = LP_ACCOUNT_ID,
  responder: Responder = () => lpAvailable(),
  port = 0,
): Promise<FakeLivePerson> {
  let current = responder;
  const path = engagementPath(accountId);
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST' || req.path !== path || req.query.get('v') !== '1.0') {
      return lpError(404, `No resource for ${req.method} ${req.url}`, 404);
    }
    return current(req);
  }, port);
  return {
    ...server,
    engagementPath: path,
    respond: (r) => {
      current = r;
    },
  };
}

export interface EngagementDetails {
  urlToChat?: unknown;
  validForSeconds?: unknown;
  expectedWaitTimeSeconds?: unknown;
  queueSize?: unknown;
}

let chatCounter = 0;

/** A fresh one-time chat URL per answer, the way LivePerson hands them out. */
export function lpAvailable(details: EngagementDetails = {}): FakeReply {
  chatCounter += 1;
  return json(200, {
    status: 'Available',
    engagementDetails: {
      urlToChat: `https://lpcdn.lpsnmedia.net/le_unified_window/index.html?lpUnifiedWindowConfig=${chatCounter}`,
      validForSeconds: 300,
      expectedWaitTimeSeconds: 45,
      queueSize: 3,
      ...details,
    },
  });
}

export function lpNotAvailable(): FakeReply {
  return json(200, { status: 'Not Available' });
}

export function lpError(status: number, message: string, internalCode: number): FakeReply {
  return json(status, { time: Date.now(), message, internalCode });
}

export function lpSlow(reply: FakeReply, delayMs: number): FakeReply {
  return { ...reply, delayMs };
}

export function lpMalformed(): FakeReply {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"Avail' };
}

export function lpHang(): FakeReply {
  return { status: 200, hang: true };
}

import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server';

/**
 * A fake Voxeo messaging endpoint (POST /1.0/messaging). Like the real one it refuses a
 * request without the account's HTTP Basic credentials; everything else is answered by
 * the test's responder, in the IMified-style XML the legacy API is known to speak.
 */

export const VOXEO_PATH = '/1.0/messaging';

export interface FakeVoxeo extends FakeServer {
  /** The messaging endpoint, as VOXEO_URL would be set. */
  endpoint: string;
}

export async function startFakeVoxeo(
  account: { user: string; password: string },
  responder: (req: RecordedRequest) => FakeReply | Promise<FakeReply> = () => voxeoOk(),
): Promise<FakeVoxeo> {
  let current = responder;
  const expected = `Basic ${Buffer.from(`${account.user}:${account.password}`).toString('base64')}`;
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== expected) return voxeoFail(401, 'Authentication failed');
    if (req.method !== 'POST' || req.path !== VOXEO_PATH) return voxeoFail(404, 'Unknown resource');
    return current(req);
  });
  return {
    ...server,
    endpoint: `${server.url}${VOXEO_PATH}`,
    respond: (r) => {
      current = r;
    },
  };
}

export function voxeoOk(id?: string): FakeReply {
  const idElement = id === undefined ? '' : `<id>${id}</id>`;
  return xml(200, `<?xml version="1.0" encoding="utf-8"?>\n<rsp stat="ok">${idElement}</rsp>`);
}

export function voxeoFail(status: number, message: string): FakeReply {
  return xml(status, `<?xml version="1.0" encoding="utf-8"?>\n<rsp stat="fail"><err msg="${message}"/></rsp>`);
}

function xml(status: number, body: string): FakeReply {
  return { status, headers: { 'content-type': 'application/xml; charset=utf-8' }, body };
}

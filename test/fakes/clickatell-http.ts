import { randomBytes } from 'node:crypto';
import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server';

/**
 * A fake Clickatell legacy HTTP API (GET or POST /http/sendmsg). Like the real one it
 * answers plain text with HTTP 200 whatever happens: `ERR: 001, Authentication failed`
 * for wrong credentials, `ERR: 101, ...` for a missing field. An authenticated,
 * well-formed send is answered by the test's responder, by default `ID: <fresh id>`.
 */

export const CLICKATELL_HTTP_PATH = '/http/sendmsg';

export interface ClickatellHttpAccount {
  user: string;
  password: string;
  apiId: string;
}

export type FakeClickatellHttp = FakeServer;

export async function startFakeClickatellHttp(
  account: ClickatellHttpAccount,
  responder: (req: RecordedRequest) => FakeReply | Promise<FakeReply> = () => clickatellHttpId(),
): Promise<FakeClickatellHttp> {
  let current = responder;
  const server = await startFakeServer((req) => {
    if (req.path !== CLICKATELL_HTTP_PATH) return { status: 404, body: 'Not Found' };
    // The API reads its fields from the query or a form body alike.
    const fields = fieldsOf(req);
    const authenticated =
      fields.get('user') === account.user && fields.get('password') === account.password && fields.get('api_id') === account.apiId;
    if (!authenticated) return clickatellHttpErr('001', 'Authentication failed');
    if (!fields.get('to') || !fields.get('text')) return clickatellHttpErr('101', 'Invalid or missing parameters');
    return current(req);
  });
  return {
    ...server,
    respond: (r) => {
      current = r;
    },
  };
}

/** Query and form body merged, body winning, as the API reads them. */
export function fieldsOf(req: RecordedRequest): URLSearchParams {
  const fields = new URLSearchParams(req.query);
  for (const [name, value] of new URLSearchParams(req.body)) fields.set(name, value);
  return fields;
}

export function clickatellHttpId(id: string = randomBytes(16).toString('hex')): FakeReply {
  return text(`ID: ${id}`);
}

export function clickatellHttpErr(code: string, description: string): FakeReply {
  return text(`ERR: ${code}, ${description}`);
}

function text(body: string): FakeReply {
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

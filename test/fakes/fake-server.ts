import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that stands in for a vendor: it records every request exactly as
 * it arrived and answers with whatever the test's responder says. Each vendor's fake
 * (test/fakes/<vendor>.ts) builds on this with that vendor's real wire format.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (slow vendor). */
  delayMs?: number;
  /** Never answer (the client's timeout must fire); the socket is destroyed on close. */
  hang?: boolean;
  /** Destroy the connection without an answer (network failure). */
  reset?: boolean;
}

export type Responder = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  /** Replaces how the fake answers from now on. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

export async function startFakeServer(responder: Responder, port = 0): Promise<FakeServer> {
  let current = responder;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const parsed = new URL(url, 'http://fake.local');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url,
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      void Promise.resolve(current(recorded)).then(async (reply) => {
        if (reply.hang) return;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (reply.reset) {
          req.socket.destroy();
          return;
        }
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    respond: (r) => {
      current = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeReply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

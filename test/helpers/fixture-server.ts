import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** A request the fixture server received: what a VoiceXML browser fetched or submitted. */
export interface FixtureRequest {
  method: string;
  /** Path and query, e.g. "/submit.vxml?answer=1". */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FixtureResponse {
  status?: number;
  body: string;
  headers?: Record<string, string>;
}

/** Answers one path (without its query) instead of a file: echo servers, redirects, errors. */
export type FixtureRoute = (req: FixtureRequest) => FixtureResponse | Promise<FixtureResponse>;

export interface FixtureServer {
  baseUrl: string;
  requests: FixtureRequest[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.vxml': 'application/voicexml+xml; charset=utf-8',
  '.grxml': 'application/srgs+xml; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
};

/**
 * Any web server, as far as the simulator knows: static files from a folder (hand-written
 * VoiceXML, grammars, scripts), plus optional routes for dynamic answers. Nothing of our
 * app is involved, so tests against it show the simulator works with any VoiceXML server.
 */
export async function startFixtureServer(
  options: { dir?: string; routes?: Record<string, FixtureRoute> } = {},
): Promise<FixtureServer> {
  const requests: FixtureRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: FixtureRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      void answer(request, options).then(
        (reply) => {
          res.writeHead(reply.status ?? 200, reply.headers ?? {});
          res.end(reply.body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function answer(
  req: FixtureRequest,
  options: { dir?: string; routes?: Record<string, FixtureRoute> },
): Promise<FixtureResponse> {
  const pathname = decodeURIComponent(new URL(req.url, 'http://fixture').pathname);
  const route = options.routes?.[pathname];
  if (route) return route(req);
  if (options.dir) {
    const file = path.join(options.dir, path.normalize(pathname).replace(/^([/\\])+/, ''));
    if (file.startsWith(path.resolve(options.dir)) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      return { body: fs.readFileSync(file, 'utf8'), headers: { 'content-type': type } };
    }
  }
  return { status: 404, body: 'not found', headers: { 'content-type': 'text/plain' } };
}

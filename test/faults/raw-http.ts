/**
 * HTTP/1.1 over a bare socket: the fuzzer sends bytes no HTTP client library would
 * (invalid UTF-8 in the request line, broken framing, truncated requests) and reads the
 * answers with a small response parser of its own.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawExchange {
  /** Final responses (1xx interim ones are skipped), in order. */
  responses: RawResponse[];
  /** The socket error, if any (ECONNRESET, EPIPE...). */
  error?: string;
  /** No complete answer within the time limit. */
  timedOut: boolean;
  ms: number;
}

export interface RawRequest {
  bytes: Buffer;
  /** The methods of the requests in `bytes` (more than one when pipelined): HEAD answers have no body. */
  methods: string[];
  /** Close our side after writing: a client that sent part of a request and gave up. */
  halfClose: boolean;
}

/** Sends the bytes, then reads until every request has its answer, the server closes, or the time is up. */
export function exchange(port: number, request: RawRequest, timeoutMs: number): Promise<RawExchange> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let error: string | undefined;
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const { responses } = parseResponses(received, request.methods, true);
      resolve({ responses, timedOut, ms: performance.now() - started, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('connect', () => {
      socket.write(request.bytes);
      if (request.halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parseResponses(received, request.methods, false).responses.length >= request.methods.length) finish(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
    });
    socket.on('close', () => finish(false));
  });
}

/**
 * The complete responses in `data`. A body is framed by Transfer-Encoding: chunked, by
 * Content-Length, or (neither) by the end of the connection, which only `atEnd` allows.
 */
export function parseResponses(data: Buffer, methods: readonly string[], atEnd: boolean): { responses: RawResponse[] } {
  const responses: RawResponse[] = [];
  let offset = 0;
  while (offset < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) break;
    const lines = data.toString('latin1', offset, headEnd).split('\r\n');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (!status) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    if (status < 200) {
      offset = bodyStart;
      continue;
    }
    const noBody = methods[responses.length] === 'HEAD' || status === 204 || status === 304;
    let body: Buffer;
    if (noBody) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      let complete = false;
      for (;;) {
        const sizeEnd = data.indexOf('\r\n', bodyStart);
        if (sizeEnd < 0) break;
        const size = parseInt(data.toString('latin1', bodyStart, sizeEnd), 16);
        if (Number.isNaN(size) || sizeEnd + 2 + size + 2 > data.length) break;
        if (size === 0) {
          bodyStart = sizeEnd + 4;
          complete = true;
          break;
        }
        chunks.push(data.subarray(sizeEnd + 2, sizeEnd + 2 + size));
        bodyStart = sizeEnd + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(chunks);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (bodyStart + length > data.length) break;
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else {
      if (!atEnd) break;
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    responses.push({ status, headers, body });
    offset = bodyStart;
  }
  return { responses };
}

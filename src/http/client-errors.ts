import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { IntegrationMode } from '../store/port';

/**
 * The start of a request line for an IVR path, whatever Node's parser made of the rest:
 * any token as the method ("get" and "G3T" are parse errors too) and /vxml/ in any case,
 * as Express routes it.
 */
const IVR_REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S*\/vxml\//i;

/**
 * Requests Node's HTTP parser rejects before Express sees them: a request line over the
 * header size limit, bytes that are not valid in a URL. Node would answer 400 or 431,
 * which a VoiceXML browser turns into a dropped call; for IVR paths we answer 200 with the
 * hand-back document instead. Everything else keeps Node's plain error.
 */
export function answerIvrParseErrors(
  server: Server,
  handBackDocument: (mode: IntegrationMode) => string,
  log: Logger,
): void {
  // Node's parser stays on the socket after an error and raises it again for every later
  // chunk of the same request: a socket already answered is left to its lingering close,
  // or destroying it as unwritable would reset a client still sending.
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const head = err.rawPacket?.toString('latin1', 0, 4096) ?? '';
    // A HEAD request is answered with the headers only, as HTTP says.
    const headOnly = /^HEAD /.test(head);
    if (!IVR_REQUEST_LINE.test(head)) {
      answerAndDestroy(socket, `HTTP/1.1 ${plainStatus(err.code)}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    log.warn({ code: err.code }, 'unparseable IVR request answered with a hand-back document');
    const body = Buffer.from(handBackDocument(/[?&]mode=subdialog\b/i.test(head) ? 'subdialog' : 'goto'));
    const headers = Buffer.from(
      'HTTP/1.1 200 OK\r\nContent-Type: application/voicexml+xml; charset=utf-8\r\n' +
        `Cache-Control: no-store\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    answerAndDestroy(socket, headOnly ? headers : Buffer.concat([headers, body]));
  });
}

function plainStatus(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  return '400 Bad Request';
}

/**
 * How long a refused client may take to finish sending and close its side after the
 * answer: long enough for a client still sending a huge request line to read what we
 * answered, short enough that one that never closes cannot hold the descriptor.
 */
const LINGER_MS = 2_000;

/**
 * Writes the answer and half-closes, then discards whatever the client still sends until
 * it closes its side too (a lingering close), destroying the socket then or after
 * LINGER_MS at the latest. Destroying at once would reset a connection whose client is
 * still sending (the rest of a huge request): the reset throws away our answer before the
 * client reads it. Waiting for the client alone would let a stalled or hostile one, on a
 * server that allows half-open sockets, keep the descriptor for as long as it liked.
 */
function answerAndDestroy(socket: Duplex, answer: string | Buffer): void {
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.on('end', () => {
    clearTimeout(linger);
    socket.destroy();
  });
  socket.on('error', () => socket.destroy());
  socket.end(answer);
  socket.resume();
}

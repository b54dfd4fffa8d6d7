/**
 * Clients that open connections and never finish them: 300 at once, each keeping its own
 * side open for ever (half-open). A third send part of a request's headers and stall, a
 * third send nothing, a third send bytes that are not HTTP. Each is answered (408, 400)
 * or timed out, and its socket destroyed: the server's descriptors come back to what
 * they were, within the configured timeouts, while the clients still hold their ends.
 *
 * The count is the server process's sockets in /proc/<pid>/fd (Linux). The timeouts are
 * set small for the run; the wait for the release is a deadline, not a speed measure.
 */
import fs from 'node:fs';
import net from 'node:net';
import { cleanUpProcesses } from '../helpers/server-process';
import { startServer, waitFor, type RunningServer } from './support';

const CLIENTS = 300;
const TIMEOUTS = { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_IDLE_TIMEOUT_MS: '2000' };

afterAll(cleanUpProcesses);

function openSockets(pid: number): number {
  const dir = `/proc/${pid}/fd`;
  let count = 0;
  for (const fd of fs.readdirSync(dir)) {
    try {
      if (fs.readlinkSync(`${dir}/${fd}`).startsWith('socket:')) count += 1;
    } catch {
      // closed between the listing and the read
    }
  }
  return count;
}

const STALLERS: Array<(socket: net.Socket) => void> = [
  // Headers that never end.
  (socket) => socket.write('GET /vxml/start?dnis=%2B18005550100 HTTP/1.1\r\nHost: ivr\r\nX-Slow: '),
  // Nothing at all.
  () => undefined,
  // Not HTTP: a parse error, answered 400.
  (socket) => socket.write('\u0001\u0002 not http at all\r\n\r\n'),
];

/** A client that never closes its side (allowHalfOpen), even after the server closes its own. */
function stalledClient(port: number, stall: (socket: net.Socket) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.once('connect', () => {
      stall(socket);
      resolve(socket);
    });
    socket.once('error', reject);
    socket.on('data', () => undefined);
  });
}

let server: RunningServer;

it(`${CLIENTS} half-open clients: the server's sockets are released within the configured timeouts`, async () => {
  server = await startServer(TIMEOUTS);
  const pid = server.process.pid;
  const before = openSockets(pid);
  const port = Number(new URL(server.baseUrl).port);

  const opened = performance.now();
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => stalledClient(port, STALLERS[i % STALLERS.length]!)));
  let peak = openSockets(pid);
  const closedByServer = clients.map((socket) => new Promise<void>((resolve) => socket.once('end', resolve).once('close', resolve)));
  let serverClosed = 0;
  for (const closed of closedByServer) void closed.then(() => (serverClosed += 1));

  // The clients hold their ends open throughout: only the server can let go.
  const released = await waitFor(
    'the server to close every stalled connection and release its sockets',
    60_000,
    async () => {
      const now = openSockets(pid);
      peak = Math.max(peak, now);
      return serverClosed === CLIENTS && now <= before + 2 ? now : undefined;
    },
    () => `server closed ${serverClosed} of ${CLIENTS}; sockets now: ${openSockets(pid)} (before: ${before})`,
  );
  const ms = Math.round(performance.now() - opened);
  process.stdout.write(
    `half-open: ${CLIENTS} clients, server sockets ${before} -> peak seen ${peak} -> ${released} in ${ms} ms ` +
      `(headers timeout ${TIMEOUTS.HTTP_HEADERS_TIMEOUT_MS} ms, idle timeout ${TIMEOUTS.HTTP_IDLE_TIMEOUT_MS} ms)\n`,
  );
  expect(released).toBeLessThanOrEqual(before + 2);
  // Our ends were never closed: the server let go on its own.
  expect(clients.every((socket) => !socket.writableEnded)).toBe(true);
  for (const socket of clients) socket.destroy();

  // Still serving.
  expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
});

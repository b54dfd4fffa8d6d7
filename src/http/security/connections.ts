import http, { type RequestListener, type Server } from 'node:http';
import { z } from 'zod';
import { wholeNumber } from '../../env-values';

/**
 * How long a client may hold a connection and how many it may hold, so that clients that
 * open connections and never finish them (slowloris, half-open sockets) cannot use up the
 * process's file descriptors. A VoiceXML platform gives up on a document after its
 * fetchtimeout (seconds), so nothing legitimate needs longer.
 */

export interface ConnectionSettings {
  /** A request's headers must have arrived within this (Node's default is 60 s). */
  headersTimeoutMs: number;
  /** A whole request must have arrived within this (Node's default is 300 s). */
  requestTimeoutMs: number;
  /** A connection with no bytes either way for this long is destroyed (Node's default: never); also how long a kept-alive one waits for its next request (Node's default: 5 s). */
  idleTimeoutMs: number;
  /** Connections open at once; more are closed as they arrive (Node's default: no limit). */
  maxConnections: number;
}

export const ConnectionEnvShape = {
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(100, 120_000, 20_000),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000, 30_000),
  HTTP_IDLE_TIMEOUT_MS: wholeNumber(100, 600_000, 30_000),
  // Under the 1,024 descriptors a default Linux process gets, leaving room for the store,
  // the vendors' connections and the logs.
  HTTP_MAX_CONNECTIONS: wholeNumber(1, 1_000_000, 900),
};

type ConnectionEnv = z.output<z.ZodObject<typeof ConnectionEnvShape>>;

/** The settings, or a problem naming the variable (Node refuses headers timing out after the request). */
export function connectionSettingsFrom(e: ConnectionEnv): { settings: ConnectionSettings; problem?: string } {
  const settings = {
    headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
    maxConnections: e.HTTP_MAX_CONNECTIONS,
  };
  if (settings.headersTimeoutMs > settings.requestTimeoutMs) {
    return { settings, problem: 'HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS' };
  }
  return { settings };
}

/** An HTTP server for `app` that enforces the settings. */
export function boundedServer(app: RequestListener, settings: ConnectionSettings): Server {
  const server = http.createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default, which would
      // let a stalled client stay up to 30 s past its deadline).
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(settings.headersTimeoutMs / 4))),
    },
    app,
  );
  // No 'timeout' listener: Node destroys a socket idle for this long.
  server.timeout = settings.idleTimeoutMs;
  // A kept-alive connection stays open between a call's requests as long as any idle one
  // does (Node's default is 5 s, which its own HTTP client also uses: a platform, or a busy
  // simulator, that reuses the socket just as the server closes it gets a reset, "socket
  // hang up", and the caller an error.badfetch). The server must outlast its clients:
  // the Keep-Alive header tells them how long, and well-behaved clients close first.
  server.keepAliveTimeout = settings.idleTimeoutMs;
  server.maxConnections = settings.maxConnections;
  return server;
}

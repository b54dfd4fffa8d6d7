import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';

export interface Closable {
  /** Readiness turns to "draining", so a load balancer stops sending new calls here. */
  drain?(): void;
  /** Closes the server's parts; sends still running after graceMs are handed back. */
  close(graceMs: number): Promise<void>;
}

/**
 * Graceful shutdown (SIGTERM): stop accepting connections, let the requests in flight
 * finish (keep-alive connections are closed as soon as they go idle, so no new request
 * arrives on an old socket), then close the server's parts in order, within graceMs in
 * all. Requests still running at the deadline have their connections closed: the IVR
 * platform retries them (every IVR step can be repeated safely).
 */
export async function shutDownGracefully(http: HttpServer, server: Closable, graceMs: number, log: Logger): Promise<void> {
  const started = Date.now();
  server.drain?.();
  const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  const sweeper = setInterval(() => http.closeIdleConnections(), 50);
  let deadline: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    listenerClosed.then(() => true),
    new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearInterval(sweeper);
  clearTimeout(deadline);
  if (!finished) {
    log.warn({ graceMs }, 'shutdown: requests still running at the deadline; closing their connections');
    http.closeAllConnections();
  }
  // The outbox gets what is left of the grace (at least a second) to finish its sends.
  await server.close(Math.max(1_000, graceMs - (Date.now() - started)));
  log.info({ ms: Date.now() - started }, 'shutdown complete');
}

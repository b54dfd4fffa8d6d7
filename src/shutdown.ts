import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';

export interface Closable {
  /** Readiness turns to "draining", so a load balancer stops sending new calls here. */
  drain?(): void;
  /** Closes the server's parts; sends still running after graceMs are handed back. */
  close(graceMs: number): Promise<void>;
}

export interface ShutdownTimes {
  /** How long /readyz answers 503 draining, everything else still served, before the listener closes. */
  drainMs: number;
  /** Then how long requests and sends in flight may take. */
  graceMs: number;
}

/**
 * Graceful shutdown (SIGTERM). First the drain: readiness turns to "draining" while the
 * listener stays open for drainMs, so a load balancer polling /readyz gets a 503 (not a
 * refused connection) and moves new calls elsewhere, and calls that still arrive are
 * served. Then stop accepting connections, let the requests in flight finish (keep-alive
 * connections are closed as soon as they go idle, so no new request arrives on an old
 * socket), and close the server's parts in order, within graceMs. Requests still running
 * at the deadline have their connections closed: the IVR platform retries them (every
 * IVR step can be repeated safely).
 */
export async function shutDownGracefully(http: HttpServer, server: Closable, times: ShutdownTimes, log: Logger): Promise<void> {
  const { drainMs, graceMs } = times;
  server.drain?.();
  if (drainMs > 0) {
    log.info({ drainMs }, 'shutdown: draining (/readyz answers 503) before the listener closes');
    await new Promise((resolve) => setTimeout(resolve, drainMs));
  }
  const started = Date.now();
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

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the sink received it. */
export interface Received {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP endpoint for events out, on a loopback port: it answers `status` (503: down,
 * 200: up), or holds each request until the test releases it, and records what came.
 * `refuse()` closes the listener (connections refused) and `accept()` opens it again on
 * the same port, so the endpoint's URL stays the same.
 */
export class EventSink {
  readonly received: Received[] = [];
  status = 200;
  /** While set, requests wait for release() before they are answered. */
  private held: (() => void)[] | undefined;
  private arrivals: ((r: Received) => void)[] = [];
  private server: http.Server;
  port = 0;
  /** Requests being received or waiting for their answer now, and the most there ever were at once. */
  private open = 0;
  mostAtOnce = 0;

  private constructor() {
    this.server = this.create();
  }

  static async start(status = 200): Promise<EventSink> {
    const sink = new EventSink();
    sink.status = status;
    await sink.listen(0);
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/events`;
  }

  /** Requests answered 2xx. */
  get accepted(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const answer of waiting) answer();
  }

  /** Resolves with the next request to arrive. */
  nextRequest(): Promise<Received> {
    return new Promise((resolve) => this.arrivals.push(resolve));
  }

  async refuse(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  async accept(): Promise<void> {
    this.server = this.create();
    await this.listen(this.port);
  }

  async stop(): Promise<void> {
    this.release();
    if (this.server.listening) await this.refuse();
  }

  private create(): http.Server {
    return http.createServer((req, res) => {
      this.open += 1;
      this.mostAtOnce = Math.max(this.mostAtOnce, this.open);
      res.on('close', () => (this.open -= 1));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = { status: this.status, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(received);
        for (const arrived of this.arrivals.splice(0)) arrived(received);
        const answer = () => res.writeHead(received.status, { 'Content-Type': 'text/plain' }).end(received.status === 200 ? 'ok' : 'down');
        if (this.held) this.held.push(answer);
        else answer();
      });
    });
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
}

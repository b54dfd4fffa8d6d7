import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** What `npm run bench` (run.ts) and the PostgreSQL ratio (postgres-ratio.ts) share. */

export const ROOT = path.resolve(__dirname, '../..');

/** The Node flags `npm start` gives the server (package.json): the benches run it so unless told otherwise. */
export function startNodeFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** The Node flags a bench runs its servers with: npm start's, or BENCH_NODE_FLAGS (space-separated, '' for none). */
export function benchNodeFlags(): string[] {
  const flags = process.env.BENCH_NODE_FLAGS;
  return flags === undefined ? startNodeFlags() : flags.split(' ').filter(Boolean);
}

/**
 * Each deflection comes from (and texts) a number of its own: the campaign's send limits
 * allow one text per number per 10 minutes, and the benchmark measures texts, not refusals.
 */
export function deflectionQuery(call: number): string {
  const exchange = 200 + Math.floor(call / 10_000);
  const line = String(call % 10_000).padStart(4, '0');
  return `/vxml/start?dnis=%2B18005550100&ani=%2B1617${exchange}${line}&callid=bench-${call}`;
}

/**
 * The benchmark texts thousands of numbers of a few ranges from one campaign, on purpose:
 * as an operator running such a load would, it lifts the campaign's caps, the service's
 * hourly budget and the pumping guard's range limit (the shipped defaults are untouched).
 */
export const BULK_TEXTING_ENV = { SMS_SERVICE_HOURLY_BUDGET: '1000000', PUMPING_MAX_PER_RANGE: '100000' };
export function bulkExampleCampaign(): Record<string, unknown> {
  const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'campaigns/example.json'), 'utf8')) as Record<string, unknown>;
  return { ...example, limits: { hourlyCap: null, dailyCap: null } };
}
export function bulkCampaignsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-bench-campaigns-'));
  fs.writeFileSync(path.join(dir, 'example.json'), JSON.stringify(bulkExampleCampaign()));
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/**
 * CPU time (user + system) a process has used, in microseconds, from /proc/<pid>/stat
 * (fields 14 and 15, in clock ticks). Divided by the requests served, it is the figure
 * that holds on a shared machine: other processes slow a server's throughput, but they
 * do not make its requests cost more CPU.
 */
const CLOCK_TICKS_PER_S = 100; // USER_HZ: 100 on every Linux Node supports (getconf CLK_TCK)
export function cpuMicros(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_S;
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) : 0;
}

/**
 * Closed-loop callers: each walks start → offer → confirm, then calls again. With
 * thinkMs 0 this is saturation (every caller always has a request waiting); with a think
 * time it is concurrent calls paced like people, who listen to a prompt and press a key
 * between requests.
 */
export async function deflections(target: string | readonly string[], concurrency: number, thinkMs: number, firstCall: number, durationS: number) {
  // Several instances: every request goes to the next one, as a load balancer without affinity.
  const bases = typeof target === 'string' ? [target] : target;
  let turn = 0;
  const next = () => bases[turn++ % bases.length] as string;
  const submitMs: number[] = [];
  const callMs: number[] = [];
  let failures = 0;
  const deadline = Date.now() + durationS * 1000;
  const nextUrl = (xml: string) => {
    const submit = /<filled>\s*<submit next="([^"]+)"/.exec(xml)?.[1];
    if (!submit) throw new Error('no submit in document');
    return `${next()}/vxml/${submit.replace(/&amp;/g, '&')}`;
  };
  const post = async (url: string) =>
    (await fetch(url, { method: 'POST', body: 'answer=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).text();

  const think = () => (thinkMs ? new Promise((resolve) => setTimeout(resolve, thinkMs * (0.5 + Math.random()))) : undefined);
  let calls = firstCall;
  async function caller(): Promise<void> {
    // Paced callers start spread over one think time, as calls arrive in life.
    if (thinkMs) await new Promise((resolve) => setTimeout(resolve, Math.random() * thinkMs));
    while (Date.now() < deadline) {
      const began = performance.now();
      try {
        const offer = await (await fetch(`${next()}${deflectionQuery(calls++)}`)).text();
        await think();
        const confirm = await post(nextUrl(offer));
        await think();
        const sentAt = performance.now();
        const result = await post(nextUrl(confirm));
        const done = performance.now();
        if (!result.includes("'sent'")) throw new Error('not sent');
        submitMs.push(done - sentAt);
        callMs.push(done - began);
      } catch {
        failures++;
      }
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => caller()));
  const seconds = (performance.now() - started) / 1000;
  submitMs.sort((a, b) => a - b);
  callMs.sort((a, b) => a - b);
  return {
    concurrency,
    thinkMs,
    deflectionsPerSecond: Number((callMs.length / seconds).toFixed(1)),
    submitP50ms: Number(percentile(submitMs, 50).toFixed(1)),
    submitP99ms: Number(percentile(submitMs, 99).toFixed(1)),
    callP99ms: Number(percentile(callMs, 99).toFixed(1)),
    failures,
    /** Whole deflections done and the seconds they took: for per-deflection figures. */
    deflections: callMs.length,
    seconds,
  };
}

/** A process's peak resident memory so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

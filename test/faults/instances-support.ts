/**
 * What the multi-instance fault test (instances.test.ts) needs besides support.ts: a fresh
 * PostgreSQL database per run, `npm run campaigns:import` as a child process, and a client
 * that spreads every request over the instances like a load balancer without affinity,
 * retrying a request whose instance died on the next live one (as an IVR platform retries
 * a fetch once the load balancer has taken the dead instance out).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { CONFIG_VARIABLES } from '../../src/config';
import { adminQuery, TEST_DATABASE_URL } from '../helpers/postgres';
import { DNIS, nextUrl, type RunningServer } from './support';

const PROJECT_ROOT = path.resolve(__dirname, '../..');

// ---------------------------------------------------------------------------------------
// A database of the run's own.

export interface FreshDatabase {
  name: string;
  url: string;
  /** A connection to it, for looking at rows behind the servers' backs (closed by drop()). */
  connect(): Promise<Client>;
  /** Closes the connections made here and drops the database, whoever is still connected. */
  drop(): Promise<void>;
}

/** CREATE DATABASE ivr_deflect_instances_<random> through the test database's connection. */
export async function createFreshDatabase(): Promise<FreshDatabase> {
  const name = `ivr_deflect_instances_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const clients: Client[] = [];
  return {
    name,
    url: url.href,
    async connect() {
      const client = new Client({ connectionString: url.href });
      await client.connect();
      clients.push(client);
      return client;
    },
    async drop() {
      await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
      // FORCE (PostgreSQL 13+): a SIGKILLed server's backends may not have noticed yet.
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}


// ---------------------------------------------------------------------------------------
// npm run campaigns:import

export interface ImportResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run campaigns:import` in the project, with only `env` for the server's variables
 * (none leak in from the shell running the tests).
 */
export function importCampaigns(env: Record<string, string>): Promise<ImportResult> {
  const inherited = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete inherited[name];
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'campaigns:import'], { cwd: PROJECT_ROOT, env: { ...inherited, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------
// A load balancer without affinity.

export interface Instance {
  name: string;
  server: RunningServer;
  /** Taken out of rotation (killed): no request goes to it any more. */
  out: boolean;
}

/** What the balancer did with one request: where it went, and where it was retried. */
export interface Hop {
  instance: string;
  error?: string;
}

export class RequestFailed extends Error {
  constructor(
    message: string,
    readonly hops: Hop[],
  ) {
    super(message);
  }
}

/**
 * Sends each request to the instance its caller picks (round-robin by the call and its
 * step), skipping instances taken out; a request whose connection fails (its instance
 * died under it) goes to the next live instance, up to once per instance.
 */
export class Balancer {
  /** Requests on their way to (or being answered by) each instance, by name. */
  private readonly pending = new Map<string, number>();

  constructor(readonly instances: Instance[]) {}

  /** How many requests the instance has right now (on the wire or being answered). */
  inFlight(name: string): number {
    return this.pending.get(name) ?? 0;
  }

  live(): Instance[] {
    return this.instances.filter((i) => !i.out);
  }

  byName(name: string): Instance {
    const found = this.instances.find((i) => i.name === name);
    if (!found) throw new Error(`no instance ${name}`);
    return found;
  }

  /**
   * GET (or POST `form`) `pathAndQuery` (relative to an instance's base URL) on the
   * instance at `slot` in the rotation, or the next live one. Returns the document and
   * the hops it took; throws RequestFailed when no instance answered.
   */
  async fetch(slot: number, pathAndQuery: string, form?: string, hops: Hop[] = []): Promise<{ xml: string; instance: Instance; hops: Hop[] }> {
    const count = this.instances.length;
    for (let tried = 0; tried < count; tried++) {
      const instance = this.instances[(slot + tried) % count] as Instance;
      if (instance.out) continue;
      const url = `${instance.server.baseUrl}${pathAndQuery}`;
      let res: Response;
      let text: string;
      this.pending.set(instance.name, this.inFlight(instance.name) + 1);
      try {
        res = form
          ? await fetch(url, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
          : await fetch(url);
        text = await res.text();
      } catch (err) {
        // The instance died with the request on it (or just before): the platform retries elsewhere.
        hops.push({ instance: instance.name, error: causeOf(err) });
        continue;
      } finally {
        this.pending.set(instance.name, this.inFlight(instance.name) - 1);
      }
      hops.push({ instance: instance.name });
      if (res.status !== 200) throw new RequestFailed(`${url} answered ${res.status}: ${text.slice(0, 200)}`, hops);
      return { xml: text, instance, hops };
    }
    throw new RequestFailed(`no live instance answered ${pathAndQuery}`, hops);
  }
}

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/** The path and query of the document's <filled><submit> target, for whichever instance gets it next. */
export function nextPath(xml: string, documentPath: string): string {
  const url = new URL(nextUrl(xml, `http://instance${documentPath}`));
  return `${url.pathname}${url.search}`;
}

export type Step = 'start' | 'offer' | 'confirm';

export interface Deflection {
  /** The last document: the end of the call. */
  xml: string;
  /** Which instance answered each step, and the retries on the way. */
  steps: { step: Step; instance: string; hops: Hop[]; path: string; form?: string; ms: number }[];
}

/**
 * One whole deflection (start, 1 to accept, 1 to confirm the calling number), step s of
 * call `index` on instance (index + s) mod n: start on A, accept on B, confirm on C...
 * `onStep` hears each step before its request goes out.
 */
export async function deflectAcross(balancer: Balancer, index: number, ani: string, onStep: (step: Step) => void = () => undefined): Promise<Deflection> {
  const steps: Deflection['steps'] = [];
  const run = async (step: Step, slot: number, pathAndQuery: string, form?: string) => {
    onStep(step);
    const began = Date.now();
    const answer = await balancer.fetch(slot, pathAndQuery, form);
    steps.push({ step, instance: answer.instance.name, hops: answer.hops, path: pathAndQuery, ...(form ? { form } : {}), ms: Date.now() - began });
    return answer.xml;
  };
  const startPath = `/vxml/start?dnis=${encodeURIComponent(DNIS)}&ani=${encodeURIComponent(ani)}&callid=instances-${ani.slice(1)}`;
  const offer = await run('start', index, startPath);
  const offerPath = nextPath(offer, startPath);
  const confirm = await run('offer', index + 1, offerPath, 'answer=1');
  const xml = await run('confirm', index + 2, nextPath(confirm, offerPath), 'answer=1');
  return { xml, steps };
}

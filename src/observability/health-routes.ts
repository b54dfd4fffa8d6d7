import express, { type Router } from 'express';
import type { CampaignCatalog } from '../campaigns/catalog';
import type { Campaigns } from '../campaigns/registry';
import type { Store } from '../store/port';

type Check = { status: 'ok'; [detail: string]: unknown } | { status: 'failed'; error: string; [detail: string]: unknown };

export interface ReadinessDeps {
  store: Store;
  /** With a catalog's entries and fileProblems, the campaigns check names the invalid files. */
  campaigns: Campaigns & Partial<Pick<CampaignCatalog, 'entries' | 'fileProblems'>>;
  gateways: ReadonlyMap<string, unknown>;
  /** The gateway texts go through unless a campaign names its own. */
  defaultGateway: string;
  /** IVR_OPEN on a public address: /vxml/ is served to anyone, on purpose (said in every answer). */
  ivrOpen: boolean;
  now: () => Date;
}

/**
 * Whether this instance should get traffic: its store answers, it has campaigns to offer,
 * and its default gateway is configured. Once shutdown has begun it says "draining", so
 * a load balancer sends new calls elsewhere while the calls in progress finish here.
 */
export class Readiness {
  private draining = false;

  constructor(private readonly deps: ReadinessDeps) {}

  /** From now on /readyz answers 503 draining (called when SIGTERM arrives). */
  drain(): void {
    this.draining = true;
  }

  async check(): Promise<{ ready: boolean; body: Record<string, unknown> }> {
    const warning = this.deps.ivrOpen ? { ivr: 'open' } : {};
    if (this.draining) return { ready: false, body: { status: 'draining', ...warning } };
    const checks: Record<string, Check> = {
      store: await this.store(),
      campaigns: this.campaigns(),
      gateway: this.gateway(),
    };
    const ready = Object.values(checks).every((c) => c.status === 'ok');
    return { ready, body: { status: ready ? 'ok' : 'failed', checks, ...warning } };
  }

  private async store(): Promise<Check> {
    try {
      // A real write: an open file, or one that can still be read, is not enough (a full
      // disk or a read-only file fails every call while reads still work).
      await this.deps.store.probeWrite(this.deps.now().toISOString());
      return { status: 'ok' };
    } catch (err) {
      return { status: 'failed', error: (err as Error).message };
    }
  }

  /**
   * Without a campaign every call is handed back: nothing for this instance to do. An
   * invalid file does not make the instance unready (the others serve, and a load balancer
   * taking every instance out over one file would stop them all); the detail names it.
   * Only file names: the problems may quote the file, and /readyz asks for no token.
   */
  private campaigns(): Check {
    const { campaigns } = this.deps;
    const count = campaigns.all().length;
    const lastGood = (campaigns.entries?.() ?? []).filter((e) => e.status === 'last-good').map((e) => e.file);
    const broken = (campaigns.fileProblems?.() ?? []).map((p) => p.file);
    const invalid = lastGood.length || broken.length ? { invalidFiles: { lastGood, broken } } : {};
    return count > 0 ? { status: 'ok', count, ...invalid } : { status: 'failed', error: 'no campaigns loaded', ...invalid };
  }

  private gateway(): Check {
    const name = this.deps.defaultGateway;
    return this.deps.gateways.has(name) ? { status: 'ok', name } : { status: 'failed', error: `gateway ${name} is not configured` };
  }
}

/**
 * /healthz: the process is alive (it answered). /readyz: it should get traffic, with each
 * check named, 503 when one fails or the server is draining. Neither is cached.
 */
export function healthRoutes(readiness: Readiness): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, body } = await readiness.check();
    res.set('Cache-Control', 'no-store').status(ready ? 200 : 503).json(body);
  });
  return router;
}

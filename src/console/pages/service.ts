import type { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../audit/actor';
import type { ConsoleDeps } from '../routes';
import { PageError, render } from '../render';
import { currentSession } from '../session';
import { consoleRole } from '../roles';

const SwitchForm = z.object({
  enabled: z.enum(['true', 'false']),
  understood: z.literal('yes').optional(),
});

const UNDERSTOOD = 'Tick the box to confirm that callers will not be offered texts.';

/**
 * The global switch (the same one as PUT /api/service): off, every call is handed back
 * at once. Switching off asks for a ticked confirmation; switching on does not, since it
 * only restores what the campaigns say.
 */
export function servicePages(router: Router, { store, log, now, audit }: ConsoleDeps): void {
  router.get('/service', consoleRole('viewer'), async (_req, res) => {
    render(res, 'service', { title: 'Service', nav: 'service', service: await store.getServiceSwitch(), error: null });
  });

  router.post('/service', consoleRole('editor'), async (req, res) => {
    const form = SwitchForm.safeParse(req.body ?? {});
    if (!form.success) throw new PageError(400, 'The form did not say whether to switch the service on or off.');
    const enabled = form.data.enabled === 'true';
    if (!enabled && form.data.understood !== 'yes') {
      render(res, 'service', { title: 'Service', nav: 'service', service: await store.getServiceSwitch(), error: UNDERSTOOD, status: 400 });
      return;
    }
    const { user } = currentSession(res);
    const before = await store.getServiceSwitch();
    const result = await store.setServiceSwitch(enabled, `console:${user}`, now().toISOString());
    log.warn({ user, enabled: result.enabled }, 'service switched in the console');
    await audit.record(actorOf(req), 'service.switch', 'service', { was: before.enabled, enabled: result.enabled });
    // Post/redirect/get: reloading the page does not flip the switch again.
    res.redirect(303, '/admin/service');
  });
}

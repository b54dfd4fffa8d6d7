import type { IntegrationMode } from '../store/port';
import type { Page } from '../vxml/model';
import type { PlatformName } from '../vxml/platforms/profiles';
import { endPage } from './pages';

/**
 * `platform=` on the start URL overrides the campaign's platform for one call. The call
 * keeps it by carrying it in every URL of ours its documents fetch (steps, give-ups, the
 * application root), so every later document is written for the same platform. The
 * campaign's own return URLs are left as they are.
 */
export function withPlatform(page: Page, platform: PlatformName): Page {
  switch (page.kind) {
    case 'root':
      return { ...page, platform };
    case 'end':
      return { ...page, platform, application: carry(page.application, platform) };
    case 'question':
      return {
        ...page,
        platform,
        application: carry(page.application, platform),
        submitUrl: carry(page.submitUrl, platform),
        giveUpUrls: {
          noInput: carry(page.giveUpUrls.noInput, platform),
          noMatch: carry(page.giveUpUrls.noMatch, platform),
          hangUp: carry(page.giveUpUrls.hangUp, platform),
        },
      };
  }
}

/** Our URLs are relative, "step?query" (pages.ts): the platform is set in the query. */
function carry(url: string, platform: PlatformName): string {
  const at = url.indexOf('?');
  const query = new URLSearchParams(at < 0 ? '' : url.slice(at + 1));
  query.set('platform', platform);
  return `${at < 0 ? url : url.slice(0, at)}?${query}`;
}

/** A platform we do not know (a typo in the IVR's start URL): hand back at once, politely, saying why. */
export function unknownPlatformPage(mode: IntegrationMode): Page {
  return endPage(undefined, mode, { status: 'failed', reason: 'unknown-platform', maskedNumber: '' });
}

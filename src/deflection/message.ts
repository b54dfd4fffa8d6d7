import type { LINK_PLACEHOLDERS } from '../campaigns/schema';

export type LinkValues = Record<(typeof LINK_PLACEHOLDERS)[number], string>;

/** Fills the campaign's interaction link template; every value is URL-encoded. */
export function fillLinkTemplate(template: string, values: LinkValues): string {
  return template.replace(/\{(\w+)\}/g, (token, name: string) =>
    name in values ? encodeURIComponent(values[name as keyof LinkValues]) : token,
  );
}

/** The SMS text: the campaign message with {link} replaced by the short link. */
export function renderMessage(template: string, link: string): string {
  return template.split('{link}').join(link);
}

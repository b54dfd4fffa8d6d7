import type { Campaign } from '../campaigns/schema';

/**
 * What the page of an expired short link says, in the campaign's language: that the
 * link has ended, and how to reach the company instead (its phone and page when given).
 */

interface ExpiredTexts {
  title: string;
  message: string;
  call: string;
  visit: string;
}

const TEXTS: Record<string, ExpiredTexts> = {
  en: {
    title: 'This link has expired',
    message: 'Links in our text messages work for a limited time. To chat with us, please call us again and ask for a new text.',
    call: 'Call us',
    visit: 'Contact us online',
  },
  es: {
    title: 'Este enlace ha caducado',
    message:
      'Los enlaces de nuestros mensajes de texto funcionan por un tiempo limitado. Para chatear con nosotros, llámenos de nuevo y pida un nuevo mensaje.',
    call: 'Llámenos',
    visit: 'Contáctenos en línea',
  },
};

export interface ExpiredPageView extends ExpiredTexts {
  lang: string;
  /** null when the campaign gives none (the template tests them). */
  phone: string | null;
  /** tel: URI of phone, digits and a leading + only. */
  phoneHref: string | null;
  url: string | null;
}

export function expiredPageView(campaign: Campaign | undefined): ExpiredPageView {
  const lang = campaign?.language ?? 'en-US';
  const texts = TEXTS[lang.split('-')[0]?.toLowerCase() ?? ''] ?? (TEXTS.en as ExpiredTexts);
  const contact = campaign?.expiredLink ?? {};
  const digits = contact.phone?.replace(/[^\d+]/g, '');
  return {
    ...texts,
    lang,
    ...(contact.message ? { message: contact.message } : {}),
    phone: contact.phone ?? null,
    phoneHref: digits ? `tel:${digits}` : null,
    url: contact.url ?? null,
  };
}

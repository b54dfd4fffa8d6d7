import type { ChannelName } from '../channels/channel';
import { promptFor, type Campaign, type ChannelEntry, type PromptOverride } from './schema';

/**
 * What the caller hears about the campaign's channels (issue 18), by primary language:
 * the offer that names the channel (fallback mode) or lists them with their keys (choice
 * mode), and the "sent" and "on its way" lines per channel. Entries override the offer
 * and "sent" (prompts.offer, prompts.sent); a language without defaults must (the schema
 * checks it). Text messages keep the campaign's own prompts.
 */

interface ChannelWords {
  /** The channel as the object of "send you ...": "a WhatsApp message". */
  thing: Record<ChannelName, string>;
  /** Fallback mode's offer for a channel other than SMS. */
  offer(thing: string, accept: string, decline: string): string;
  /** Choice mode: one channel's line. */
  choice(thing: string, key: string): string;
  /** Choice mode: the opening and the closing line. */
  choiceIntro: string;
  choiceDecline(decline: string): string;
  sent(thing: string): string;
  pending(thing: string): string;
  /** The number confirmation, naming what is sent ({lastFour} filled by the page). */
  confirmAni(thing: string, confirm: string, change: string): string;
  keyName(key: string): string;
}

const WORDS: Record<string, ChannelWords> = {
  en: {
    thing: {
      sms: 'a text message',
      whatsapp: 'a WhatsApp message',
      rcs: 'a message in your Messages app',
      c2m: 'a message',
    },
    offer: (thing, accept, decline) =>
      `To get ${thing} with a link to chat with us now, press ${accept}. To stay on the line, press ${decline}.`,
    choice: (thing, key) => `For ${thing}, press ${key}.`,
    choiceIntro: 'We can send you a link to chat with us now.',
    choiceDecline: (decline) => `To stay on the line, press ${decline}.`,
    sent: (thing) => `We've sent you ${thing}. Goodbye.`,
    pending: (thing) => `${thing.replace(/^a /, 'Your ')} is on its way. Goodbye.`,
    confirmAni: (thing, confirm, change) =>
      `We'll send ${thing} to the number you're calling from, ending in {lastFour}. Press ${confirm} for yes, or ${change} to use a different number.`,
    keyName: (key) => (key === '*' ? 'star' : key),
  },
  es: {
    thing: {
      sms: 'un mensaje de texto',
      whatsapp: 'un mensaje de WhatsApp',
      rcs: 'un mensaje en su aplicación de Mensajes',
      c2m: 'un mensaje',
    },
    offer: (thing, accept, decline) =>
      `Para recibir ${thing} con un enlace para chatear con nosotros ahora, oprima ${accept}. Para permanecer en la línea, oprima ${decline}.`,
    choice: (thing, key) => `Para ${thing}, oprima ${key}.`,
    choiceIntro: 'Podemos enviarle un enlace para chatear con nosotros ahora.',
    choiceDecline: (decline) => `Para permanecer en la línea, oprima ${decline}.`,
    sent: (thing) => `Le hemos enviado ${thing}. Adiós.`,
    pending: (thing) => `${thing.replace(/^un /, 'Su ')} está en camino. Adiós.`,
    confirmAni: (thing, confirm, change) =>
      `Enviaremos ${thing} al número desde el que llama, que termina en {lastFour}. Oprima ${confirm} para sí, o ${change} para usar otro número.`,
    keyName: (key) => (key === '*' ? 'asterisco' : key),
  },
};

function wordsOf(language: string): ChannelWords | undefined {
  const primary = language.split('-')[0]?.toLowerCase() ?? '';
  return Object.hasOwn(WORDS, primary) ? WORDS[primary] : undefined;
}

/** The campaign's entry for a channel (undefined: not listed, or no channels). */
export function channelEntryOf(campaign: Campaign, channel: ChannelName | null): ChannelEntry | undefined {
  return channel ? campaign.channels?.list.find((e) => e.channel === channel) : undefined;
}

/** The channel a fallback-mode call goes on, or null (SMS as before channels; choice: not chosen yet). */
export function firstChannelOf(campaign: Campaign): ChannelName | null {
  const channels = campaign.channels;
  return channels && channels.mode === 'fallback' ? (channels.list[0]?.channel ?? null) : null;
}

/** The consent wording of every entry the caller may be messaged on, as spoken with the offer. */
function consentLines(campaign: Campaign): string[] {
  return (campaign.channels?.list ?? []).flatMap((e) => (e.consent ? [e.consent] : []));
}

/**
 * Prompts spoken one after another, as one prompt: a space between them (TTS reads
 * "press 2.By" as one word), audio parts kept as they are.
 */
function joined(prompts: PromptOverride[]): PromptOverride {
  const parts = prompts.flatMap((p) => (Array.isArray(p) ? p : [p]));
  const out: Exclude<PromptOverride, unknown[]>[] = [];
  parts.forEach((part, i) => {
    const last = out[out.length - 1];
    if (typeof part === 'string' && typeof last === 'string') out[out.length - 1] = `${last} ${part}`;
    else if (typeof part === 'string') out.push(i ? ` ${part}` : part);
    else out.push(...(i && typeof last !== 'string' ? [' '] : []), part);
  });
  if (out.length === 1 && typeof out[0] === 'string') return out[0];
  return out as PromptOverride;
}

/** Appends lines after a prompt, keeping its audio parts. */
function withLines(prompt: PromptOverride, lines: string[]): PromptOverride {
  return lines.length ? joined([prompt, ...lines]) : prompt;
}

/**
 * The offer of a campaign with channels (a variant's offer, when given, replaces the
 * wording but not the consent). Every entry's consent wording follows it, so the opt-in
 * is heard before any key that accepts is pressed: in fallback mode the caller may get
 * the next channel's message too.
 *
 * - fallback: the first entry's prompts.offer, else the campaign's offer when it is SMS,
 *   else the channel's default.
 * - choice: the campaign's prompts.offer whole when it sets one (it names every key),
 *   else an opening line, each entry's line (its prompts.offer or the default) and the
 *   decline line.
 */
export function channelOfferPrompt(campaign: Campaign, variantOffer: PromptOverride | undefined): PromptOverride {
  const channels = campaign.channels;
  if (!channels) return variantOffer ?? promptFor(campaign, 'offer');
  const words = wordsOf(campaign.language);
  const key = (k: string) => words?.keyName(k) ?? k;
  const consent = consentLines(campaign);
  if (variantOffer) return withLines(variantOffer, consent);
  if (channels.mode === 'fallback') {
    const first = channels.list[0]!;
    const offer =
      first.prompts?.offer ??
      (first.channel === 'sms' || !words
        ? promptFor(campaign, 'offer')
        : words.offer(words.thing[first.channel], key(campaign.keys.accept), key(campaign.keys.decline)));
    return withLines(offer, consent);
  }
  if (campaign.prompts.offer || !words) return withLines(promptFor(campaign, 'offer'), consent);
  const parts: PromptOverride[] = [words.choiceIntro];
  for (const entry of channels.list) {
    parts.push(entry.prompts?.offer ?? words.choice(words.thing[entry.channel], key(entry.key ?? '')));
    if (entry.consent) parts.push(entry.consent);
  }
  parts.push(words.choiceDecline(key(campaign.keys.decline)));
  return joined(parts);
}

/**
 * "Sent" or "on its way" for the call's channel: the entry's prompts.sent (sent only),
 * the campaign's own prompt for SMS, else the channel's default wording.
 */
export function channelEndPrompt(campaign: Campaign, channel: ChannelName | null, name: 'sent' | 'pending'): PromptOverride {
  const entry = channelEntryOf(campaign, channel);
  if (!entry || entry.channel === 'sms') return name === 'sent' ? (entry?.prompts?.sent ?? promptFor(campaign, name)) : promptFor(campaign, name);
  if (name === 'sent' && entry.prompts?.sent) return entry.prompts.sent;
  const words = wordsOf(campaign.language);
  if (!words) return entry.prompts?.sent ?? promptFor(campaign, name);
  return words[name](words.thing[entry.channel]);
}

/**
 * "We'll send ... to the number you're calling from": the campaign's confirmAni when it
 * sets one (it knows its channels), else the default naming the call's channel, so a
 * WhatsApp call is not told "we'll text". SMS (or no channel) keeps the campaign's prompt.
 */
export function channelConfirmAniPrompt(campaign: Campaign, channel: ChannelName | null | undefined): PromptOverride {
  const words = wordsOf(campaign.language);
  if (!channel || channel === 'sms' || campaign.prompts.confirmAni || !words) return promptFor(campaign, 'confirmAni');
  const key = (k: string) => words.keyName(k);
  return words.confirmAni(words.thing[channel], key(campaign.keys.confirm), key(campaign.keys.change));
}

/** The wording of the channel's own consent the caller heard ('' when it has none). */
export function channelConsentText(campaign: Campaign, channel: ChannelName | null): string {
  return channelEntryOf(campaign, channel)?.consent ?? '';
}

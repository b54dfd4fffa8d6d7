/**
 * What the caller hears when a campaign does not override a prompt, by primary language
 * subtag. A campaign in any other language must override every prompt (checked at load).
 *
 * Placeholders: {lastFour} (confirmAni) and {number} (readBack) are spoken digit by digit.
 *
 * The defaults are worded for the campaign: they name its keys (a campaign that answers
 * 5 and 6 must not tell callers to press 1 and 2) and the length of a mobile number in
 * its country (11 digits in the UK, 10 in the US, no count where it varies).
 */
export const PROMPT_NAMES = [
  'offer',
  'confirmAni',
  'enterNumber',
  'readBack',
  'invalidNumber',
  'optedOut',
  'limitReached',
  'sent',
  'pending',
  'failed',
  'declined',
  'noInput',
  'noMatch',
] as const;

export type PromptName = (typeof PROMPT_NAMES)[number];

/** Which placeholders each prompt may use. */
export const PROMPT_PLACEHOLDERS: Record<PromptName, readonly string[]> = {
  offer: [],
  confirmAni: ['lastFour'],
  enterNumber: [],
  readBack: ['number'],
  invalidNumber: [],
  optedOut: [],
  limitReached: [],
  sent: [],
  pending: [],
  failed: [],
  declined: [],
  noInput: [],
  noMatch: [],
};

/** What the default wording depends on. */
export interface PromptWording {
  keys: { accept: string; decline: string; confirm: string; change: string };
  /** Digits keyed for a mobile number in the campaign's country; undefined where it varies. */
  mobileDigits: number | undefined;
}

/** The wording's keys as said in a sentence ("5", "star"), and the number length. */
interface Words {
  accept: string;
  decline: string;
  confirm: string;
  change: string;
  mobileDigits: number | undefined;
}

interface LanguageDefaults {
  /** A DTMF key as spoken: digits as they are, "*" by its name. */
  keyName(key: string): string;
  prompts(w: Words): Record<PromptName, string>;
}

const DEFAULTS: Record<string, LanguageDefaults> = {
  en: {
    keyName: (key) => (key === '*' ? 'star' : key),
    prompts: (w) => ({
      offer: `To get a text message with a link to chat with us now, press ${w.accept}. To stay on the line, press ${w.decline}.`,
      confirmAni: `We'll text the number you're calling from, ending in {lastFour}. Press ${w.confirm} for yes, or ${w.change} to use a different number.`,
      enterNumber: `Please enter your ${w.mobileDigits ? `${w.mobileDigits}-digit ` : ''}mobile number, then press pound.`,
      readBack: `You entered {number}. Press ${w.confirm} if that's right, or ${w.change} to enter it again.`,
      invalidNumber: "Sorry, that isn't a mobile number we can text.",
      optedOut: 'That number has asked us not to send it texts.',
      limitReached:
        "We've already sent a text to this number recently, so we won't send another. Please use the link in that message, or stay on the line.",
      sent: "We've sent you a text. Goodbye.",
      pending: 'Your text is on its way. Goodbye.',
      failed: "Sorry, we couldn't send you a text right now. Please stay on the line.",
      declined: 'Please stay on the line.',
      noInput: "Sorry, I didn't hear anything.",
      noMatch: "Sorry, I didn't get that.",
    }),
  },
  es: {
    keyName: (key) => (key === '*' ? 'asterisco' : key),
    prompts: (w) => ({
      offer: `Para recibir un mensaje de texto con un enlace para chatear con nosotros ahora, oprima ${w.accept}. Para permanecer en la línea, oprima ${w.decline}.`,
      confirmAni: `Enviaremos el texto al número desde el que llama, que termina en {lastFour}. Oprima ${w.confirm} para sí, o ${w.change} para usar otro número.`,
      enterNumber: `Por favor, marque su número de celular${w.mobileDigits ? ` de ${w.mobileDigits} dígitos` : ''} y luego oprima la tecla numeral.`,
      readBack: `Usted marcó {number}. Oprima ${w.confirm} si es correcto, o ${w.change} para marcarlo de nuevo.`,
      invalidNumber: 'Lo sentimos, ese no es un número de celular al que podamos enviar un texto.',
      optedOut: 'Ese número nos ha pedido que no le enviemos mensajes de texto.',
      limitReached:
        'Ya enviamos un mensaje de texto a este número hace poco, así que no enviaremos otro. Por favor, use el enlace de ese mensaje, o permanezca en la línea.',
      sent: 'Le hemos enviado un mensaje de texto. Adiós.',
      pending: 'Su mensaje de texto está en camino. Adiós.',
      failed: 'Lo sentimos, no pudimos enviarle un texto en este momento. Por favor, permanezca en la línea.',
      declined: 'Por favor, permanezca en la línea.',
      noInput: 'Lo siento, no escuché nada.',
      noMatch: 'Lo siento, no entendí.',
    }),
  },
};

/** The languages with default prompts (primary subtags). */
export const DEFAULT_PROMPT_LANGUAGES = Object.keys(DEFAULTS);

function defaultsOf(language: string): LanguageDefaults | undefined {
  const primary = language.split('-')[0]?.toLowerCase() ?? '';
  return Object.hasOwn(DEFAULTS, primary) ? DEFAULTS[primary] : undefined;
}

export function hasDefaultPrompts(language: string): boolean {
  return defaultsOf(language) !== undefined;
}

/** The default prompts of a language, worded for a campaign; undefined for other languages. */
export function defaultPromptsFor(language: string, wording: PromptWording): Record<PromptName, string> | undefined {
  const defaults = defaultsOf(language);
  if (!defaults) return undefined;
  const { keys, mobileDigits } = wording;
  const name = (key: string) => defaults.keyName(key);
  return defaults.prompts({
    accept: name(keys.accept),
    decline: name(keys.decline),
    confirm: name(keys.confirm),
    change: name(keys.change),
    mobileDigits,
  });
}

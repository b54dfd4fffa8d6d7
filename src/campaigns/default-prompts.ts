/**
 * What the caller hears when a campaign does not override a prompt, by primary language
 * subtag. A campaign in any other language must override every prompt (checked at load).
 *
 * Placeholders: {lastFour} (confirmAni) and {number} (readBack) are spoken digit by digit.
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

export const DEFAULT_PROMPTS: Record<string, Record<PromptName, string>> = {
  en: {
    offer: 'To get a text message with a link to chat with us now, press 1. To stay on the line, press 2.',
    confirmAni:
      "We'll text the number you're calling from, ending in {lastFour}. Press 1 for yes, or 2 to use a different number.",
    enterNumber: 'Please enter your 10-digit mobile number, then press pound.',
    readBack: "You entered {number}. Press 1 if that's right, or 2 to enter it again.",
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
  },
  es: {
    offer:
      'Para recibir un mensaje de texto con un enlace para chatear con nosotros ahora, oprima 1. Para permanecer en la línea, oprima 2.',
    confirmAni:
      'Enviaremos el texto al número desde el que llama, que termina en {lastFour}. Oprima 1 para sí, o 2 para usar otro número.',
    enterNumber: 'Por favor, marque su número de celular de 10 dígitos y luego oprima la tecla numeral.',
    readBack: 'Usted marcó {number}. Oprima 1 si es correcto, o 2 para marcarlo de nuevo.',
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
  },
};

export function defaultPromptsFor(language: string): Record<PromptName, string> | undefined {
  const primary = language.split('-')[0]?.toLowerCase() ?? '';
  return DEFAULT_PROMPTS[primary];
}

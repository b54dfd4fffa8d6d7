import { promptFor, placeholdersIn, type Campaign, type PromptOverride } from '../campaigns/schema';
import type { PromptName } from '../campaigns/default-prompts';
import { channelConfirmAniPrompt, channelEndPrompt } from '../campaigns/channel-prompts';
import type { ChannelName } from '../channels/channel';
import type { IntegrationMode } from '../store/port';
import type { CallResult, EndPage, Ending, Page, PlatformChoice, QuestionPage, RootPage, Speech, SpeechPart } from '../vxml/model';

/**
 * Pure builders of the pages of the call flow, from a campaign and where the call is.
 * URLs are relative to /vxml/, where every document is served, so the server works
 * behind a reverse proxy that mounts it under any path.
 */

const DEFAULT_LANGUAGE = 'en-US';
/** Time the browser waits for our documents; the send step gets longer (vendor round trip). */
const FETCH_TIMEOUT = '8s';
const SEND_FETCH_TIMEOUT = '15s';
/** Served by ivr-routes; relative like every URL here, so it resolves under /vxml/. */
export const DEFAULT_HOLD_AUDIO = 'audio/hold.wav';
const MAX_DIGITS = 15;
const MIN_DIGITS = 7;

export type Step = 'offer' | 'number' | 'confirm' | 'giveup';

function stepUrl(step: Step, callId: string, mode: IntegrationMode, extra: Record<string, string> = {}): string {
  return `${step}?${new URLSearchParams({ call: callId, mode, ...extra })}`;
}

export function rootUrl(campaignId: string | undefined, mode: IntegrationMode): string {
  return `root.vxml?${new URLSearchParams(campaignId ? { campaign: campaignId, mode } : { mode })}`;
}

export interface CallContext {
  campaign: Campaign;
  callId: string;
  mode: IntegrationMode;
}

/** Turns a prompt (text, {text, audio} or a list of them) into speech, filling placeholders. */
export function speechOf(prompt: PromptOverride, values: Record<string, string> = {}): Speech {
  const parts = Array.isArray(prompt) ? prompt : [prompt];
  return parts.flatMap((part): SpeechPart[] => {
    if (typeof part === 'string') return fillText(part, values);
    const fallback = fillText(part.text, values);
    return part.audio ? [{ kind: 'audio', src: part.audio, fallback }] : fallback;
  });
}

/** Placeholders are always numbers here, spoken digit by digit. */
function fillText(text: string, values: Record<string, string>): Speech {
  const speech: Speech = [];
  let rest = text;
  for (const name of placeholdersIn(text)) {
    const token = `{${name}}`;
    const at = rest.indexOf(token);
    if (at > 0) speech.push({ kind: 'text', text: rest.slice(0, at) });
    speech.push({ kind: 'digits', digits: values[name] ?? '' });
    rest = rest.slice(at + token.length);
  }
  if (rest) speech.push({ kind: 'text', text: rest });
  return speech;
}

function say(campaign: Campaign, name: PromptName, values?: Record<string, string>): Speech {
  return speechOf(promptFor(campaign, name), values);
}

/** The campaign's platform and recorded digits, as pages carry them (nothing when unset). */
function platformChoiceOf(campaign: Campaign | undefined): PlatformChoice {
  return {
    ...(campaign?.platform ? { platform: campaign.platform } : {}),
    ...(campaign?.digitAudio ? { digitAudio: campaign.digitAudio } : {}),
  };
}

export function rootPage(campaign: Campaign | undefined, mode: IntegrationMode): RootPage {
  return {
    ...platformChoiceOf(campaign),
    kind: 'root',
    lang: campaign?.language ?? DEFAULT_LANGUAGE,
    fetchTimeout: FETCH_TIMEOUT,
    onError: endingFor(campaign, mode, 'failed'),
  };
}

function question(
  ctx: CallContext,
  step: Exclude<Step, 'giveup'>,
  fields: Pick<QuestionPage, 'prompt' | 'answer'> & Partial<Pick<QuestionPage, 'preface' | 'submitFetch'>>,
): QuestionPage {
  const { campaign, callId, mode } = ctx;
  return {
    ...platformChoiceOf(campaign),
    kind: 'question',
    lang: campaign.language,
    application: rootUrl(campaign.id, mode),
    noInput: say(campaign, 'noInput'),
    noMatch: say(campaign, 'noMatch'),
    maxRetries: campaign.maxRetries,
    timers: { noInput: `${campaign.timers.noInputSeconds}s`, interDigit: `${campaign.timers.interDigitSeconds}s` },
    submitUrl: stepUrl(step, callId, mode),
    giveUpUrls: {
      noInput: stepUrl('giveup', callId, mode, { reason: 'no-input' }),
      noMatch: stepUrl('giveup', callId, mode, { reason: 'no-match' }),
      hangUp: stepUrl('giveup', callId, mode, { reason: 'hung-up' }),
    },
    onError: endingFor(campaign, mode, 'failed'),
    ...fields,
  };
}

/** The offer, in the wording of the call's variant (or the campaign's own). */
export function offerPage(ctx: CallContext, offer: PromptOverride): QuestionPage {
  return question(ctx, 'offer', {
    prompt: speechOf(offer),
    answer: { kind: 'keys', keys: offerKeys(ctx.campaign) },
  });
}

/** The offer's keys: accept and decline, or in choice mode each channel's key and decline. */
export function offerKeys(campaign: Campaign): string[] {
  const { keys, channels } = campaign;
  if (channels?.mode === 'choice') return [...channels.list.map((e) => e.key ?? keys.accept), keys.decline];
  return [keys.accept, keys.decline];
}

/**
 * Pressing "confirm" sends the text, so this submit may wait on the gateway (up to
 * SMS_CALLER_WAIT_MS, at most 10 s, well inside the fetch timeout): the caller hears
 * hold audio meanwhile, the campaign's or our chime.
 */
function confirmQuestion(ctx: CallContext, prompt: Speech): QuestionPage {
  const { keys, holdAudio } = ctx.campaign;
  return question(ctx, 'confirm', {
    prompt,
    answer: { kind: 'keys', keys: [keys.confirm, keys.change] },
    submitFetch: { timeout: SEND_FETCH_TIMEOUT, audio: holdAudio ?? DEFAULT_HOLD_AUDIO },
  });
}

/** "We'll send it to the number you're calling from": naming the call's channel. */
export function confirmAniPage(ctx: CallContext, lastFour: string, channel?: ChannelName | null): QuestionPage {
  return confirmQuestion(ctx, speechOf(channelConfirmAniPrompt(ctx.campaign, channel), { lastFour }));
}

export function readBackPage(ctx: CallContext, digits: string): QuestionPage {
  return confirmQuestion(ctx, say(ctx.campaign, 'readBack', { number: digits }));
}

/** Asks for a number; after a refused one, the preface says why (not a mobile, or opted out). */
export function enterNumberPage(ctx: CallContext, after?: 'invalidNumber' | 'optedOut'): QuestionPage {
  return question(ctx, 'number', {
    ...(after ? { preface: say(ctx.campaign, after) } : {}),
    prompt: say(ctx.campaign, 'enterNumber'),
    answer: { kind: 'digits', minLength: MIN_DIGITS, maxLength: MAX_DIGITS },
  });
}

/**
 * A question served again after answers outside its grammar the server counted (a lax
 * platform submitted keys the grammar does not accept): the caller hears the no-match
 * prompt before the question, as a browser's own <nomatch> would say it, and the page
 * gives up that many no-matches sooner, so the question's no-matches stay within the
 * campaign's maxRetries however they arrive.
 */
export function afterNoMatches(page: QuestionPage, campaign: Campaign, noMatches: number): QuestionPage {
  return { ...page, preface: say(campaign, 'noMatch'), noMatchesCounted: noMatches };
}

/**
 * The last page of a call. In subdialog mode every ending is a <return>; in goto mode
 * a sent text ends as the campaign's onSent says, anything else as its onHandBack.
 */
export function endPage(
  campaign: Campaign | undefined,
  mode: IntegrationMode,
  result: CallResult,
  prompts: PromptName[] = [],
  channel: ChannelName | null = null,
): EndPage {
  // "Sent" and "on its way" name the channel the message went on (a WhatsApp message).
  const sayEnd = (c: Campaign, name: PromptName): Speech =>
    channel && (name === 'sent' || name === 'pending') ? speechOf(channelEndPrompt(c, channel, name)) : say(c, name);
  // Consecutive prompts get a space between them, or TTS reads "text.Please" as one word.
  const prompt = campaign
    ? prompts.flatMap((name, i): Speech => [...(i ? [{ kind: 'text' as const, text: ' ' }] : []), ...sayEnd(campaign, name)])
    : [];
  return {
    ...platformChoiceOf(campaign),
    kind: 'end',
    lang: campaign?.language ?? DEFAULT_LANGUAGE,
    application: rootUrl(campaign?.id, mode),
    ...(prompt.length ? { prompt } : {}),
    result,
    ending: endingFor(campaign, mode, result.status),
    onError: endingFor(campaign, mode, 'failed'),
  };
}

/**
 * The page as served to a caller who has hung up: an ending keeps its result and how it
 * ends but says nothing. (A question is never answered to a hang-up: the give-up step
 * accepts every state that asks one.)
 */
export function unheard(page: Page): Page {
  if (page.kind !== 'end' || !page.prompt) return page;
  const { prompt: _unheard, ...silent } = page;
  return silent;
}

function endingFor(campaign: Campaign | undefined, mode: IntegrationMode, status: CallResult['status']): Ending {
  if (mode === 'subdialog') return { kind: 'return' };
  if (!campaign) return { kind: 'exit' };
  const action = status === 'sent' ? campaign.onSent : campaign.onHandBack;
  return action.action === 'goto' ? { kind: 'goto', url: action.url } : { kind: action.action };
}

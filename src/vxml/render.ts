import { create } from 'xmlbuilder2';
import { withoutNonXmlChars } from '../xml-chars';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import { indentElementContent } from './layout';
import {
  RESULT_VARIABLES,
  type Answer,
  type CallResult,
  type EndPage,
  type Ending,
  type InputTimers,
  type Page,
  type PlatformChoice,
  type QuestionPage,
  type RootPage,
  type Speech,
} from './model';
import { profileOf, type PlatformProfile } from './platforms/profiles';

const VXML_NS = 'http://www.w3.org/2001/vxml';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const NAMELIST = RESULT_VARIABLES.join(' ');
const ANSWER_FIELD = 'answer';

/**
 * xmlbuilder2 escapes "&" only when it does not already look like an entity, so a prompt
 * saying "&nbsp;" would come out as an undefined entity. Escaping "&" first leaves the
 * library exactly one level of escaping to do for everything else.
 */
function xmlText(value: string): string {
  // Campaign text is checked when saved; this is the last line: no character XML cannot
  // hold (a control character, a lone surrogate) ever reaches a document.
  return withoutNonXmlChars(value).replace(/&/g, '&amp;');
}

function child(parent: XMLBuilder, name: string, attributes: Record<string, string> = {}): XMLBuilder {
  const escaped: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) escaped[key] = xmlText(value);
  return parent.ele(name, escaped);
}

/** Renders a page as a VoiceXML 2.1 document. Pure: same page, same bytes. */
export function renderPage(page: Page): string {
  const attrs: Record<string, string> = { version: '2.1', 'xml:lang': xmlText(page.lang) };
  if (page.kind !== 'root') attrs.application = xmlText(page.application);
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const vxml = doc.ele(VXML_NS, 'vxml', attrs);
  switch (page.kind) {
    case 'root':
      renderRoot(vxml, page);
      break;
    case 'question':
      renderQuestion(vxml, page);
      break;
    case 'end':
      renderEnd(vxml, page);
      break;
  }
  // Laid out by hand: prettyPrint would put line breaks inside prompts (see layout.ts).
  indentElementContent(vxml);
  // headless, so the declaration can have a line of its own (there is no DOM node for it).
  return `${XML_DECLARATION}\n${doc.end({ prettyPrint: false, headless: true })}`;
}

const JS_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** An ECMAScript string literal, for expr attributes (the XML builder escapes it again). */
export function jsString(value: string): string {
  // \u2028 and \u2029 end a line in the ECMAScript 3 that VoiceXML 2.1 browsers run.
  const escaped = value.replace(/[\\'\n\r\u2028\u2029]/g, (c) => JS_ESCAPES[c] ?? c);
  return `'${escaped}'`;
}

function renderRoot(vxml: XMLBuilder, page: RootPage): void {
  declareResult(vxml, UNKNOWN_RESULT);
  // We only ever listen for keys: speech recognition would mishear background noise.
  child(vxml, 'property', { name: 'inputmodes', value: 'dtmf' });
  child(vxml, 'property', { name: 'fetchtimeout', value: page.fetchTimeout });
  renderErrorCatches(vxml, page.onError, profileOf(page.platform));
}

/** What an ending hands back before anything is known: an error, nothing sent. */
const UNKNOWN_RESULT: CallResult = { status: 'failed', reason: 'error', maskedNumber: '' };

/**
 * Each page stands alone: it declares the result variables its <return>, <exit>,
 * <disconnect> or <submit namelist> names, and catches its own errors, so it works where
 * the platform does not load the application root. Some never do in a subdialog: JVoiceXML
 * did not initialise a subdialog's declarations and application root
 * (https://github.com/JVoiceXML/JVoiceXML/issues/66), and there <return namelist="status">
 * is error.semantic, an error no catch of ours hears: the IVR's call drops instead of
 * coming back. Where the root is loaded these document variables shadow its own, and this
 * document's catches are chosen before the root's (VoiceXML 2.0 section 5.2.4, "document"
 * before "application"), so the call ends the same way on every platform.
 */
function renderStandalone(vxml: XMLBuilder, result: CallResult, onError: Ending | undefined, profile: PlatformProfile): void {
  declareResult(vxml, result);
  if (onError) renderErrorCatches(vxml, onError, profile);
}

function declareResult(vxml: XMLBuilder, result: CallResult): void {
  for (const name of RESULT_VARIABLES) child(vxml, 'var', { name, expr: jsString(result[name]) });
}

function renderErrorCatches(vxml: XMLBuilder, onError: Ending, profile: PlatformProfile): void {
  // Any error (a fetch that failed, a platform quirk) hands the call back instead of
  // leaving the caller in silence. A text already sent keeps its "sent" status.
  const first = child(vxml, 'catch', { event: 'error', count: '1' });
  child(child(first, 'log').txt('ivr-deflect: error, handing the call back: '), 'value', { expr: '_event' });
  const notSent = child(first, 'if', { cond: `status != ${jsString('sent')}` });
  child(notSent, 'assign', { name: 'status', expr: jsString('failed') });
  child(notSent, 'assign', { name: 'reason', expr: jsString('error') });
  renderEnding(first, onError, profile);
  // If the ending itself fails (a return URL that is down), stop trying to fetch anything.
  const second = child(vxml, 'catch', { event: 'error', count: '2' });
  renderEnding(second, onError.kind === 'return' ? onError : { kind: 'exit' }, profile);
}

function renderQuestion(vxml: XMLBuilder, page: QuestionPage): void {
  renderStandalone(vxml, UNKNOWN_RESULT, page.onError, profileOf(page.platform));
  const form = child(vxml, 'form', { id: 'ask' });
  if (page.timers) renderTimers(form, page.timers);
  // After a hang-up the browser may still submit once: we record the abandoned call.
  const hangUp = child(form, 'catch', { event: 'connection.disconnect.hangup' });
  child(hangUp, 'submit', { next: page.giveUpUrls.hangUp, method: 'post' });
  const profile = profileOf(page.platform);
  if (page.submitFetch?.audio) renderFetchAudioTiming(form, profile);
  if (page.preface?.length) renderPrompt(child(form, 'block'), page.preface, page);

  const field = child(form, 'field', fieldAttributes(page.answer));
  renderAnswerGrammar(field, page.answer, profile);
  renderPrompt(field, page.prompt, page);

  for (const [event, speech, giveUp, limit] of [
    ['noinput', page.noInput, page.giveUpUrls.noInput, page.maxRetries],
    ['nomatch', page.noMatch, page.giveUpUrls.noMatch, noMatchLimit(page)],
  ] as const) {
    // count="1" handles every occurrence below the limit (VoiceXML picks the highest
    // count not above the counter), then the last one gives up.
    if (limit > 1) {
      const retry = child(field, event, { count: '1' });
      renderPrompt(retry, speech, page);
      child(retry, 'reprompt');
    }
    child(child(field, event, { count: String(limit) }), 'submit', { next: giveUp, method: 'post' });
  }

  const submit: Record<string, string> = { next: page.submitUrl, namelist: ANSWER_FIELD, method: 'post' };
  if (page.submitFetch?.timeout) submit.fetchtimeout = page.submitFetch.timeout;
  if (page.submitFetch?.audio) submit.fetchaudio = page.submitFetch.audio;
  child(child(field, 'filled'), 'submit', submit);
}

/**
 * The nomatch count at which this page gives up: maxRetries less the no-matches the
 * server already counted at the question (a browser's counters start again with every
 * document, so a re-served page must not grant the caller a fresh set). At least 1.
 */
function noMatchLimit(page: QuestionPage): number {
  return Math.max(1, page.maxRetries - (page.noMatchesCounted ?? 0));
}

/**
 * The question's timers, set explicitly: their defaults are the platform's (W3C VoiceXML
 * 2.0 §6.3.4, https://www.w3.org/TR/voicexml20/#dml6.3.4), 7 s on Nuance
 * (https://docs.nuance.com/speech-suite/nr-config/cfg-timeout.html), up to 30 s on others.
 * Form-level, not field-level: a prompt's timeout is the property in scope when the prompt
 * is queued (§4.1.7), and the preface is queued in a <block>, outside the field.
 */
function renderTimers(form: XMLBuilder, timers: InputTimers): void {
  child(form, 'property', { name: 'timeout', value: timers.noInput });
  child(form, 'property', { name: 'interdigittimeout', value: timers.interDigit });
}

function fieldAttributes(answer: Answer): Record<string, string> {
  return answer.kind === 'digits'
    ? { name: ANSWER_FIELD, type: `digits?minlength=${answer.minLength};maxlength=${answer.maxLength}` }
    : { name: ANSWER_FIELD };
}

function renderAnswerGrammar(field: XMLBuilder, answer: Answer, profile: PlatformProfile): void {
  if (answer.kind === 'digits') {
    // The builtin digits grammar from the field type; pound ends the entry.
    // (How long a pause between keys ends the entry is the form's interdigittimeout.)
    child(field, 'property', { name: 'termchar', value: '#' });
    return;
  }
  if (profile.keyGrammar === 'options') {
    // One <option> per key: the platform builds the DTMF grammar itself (profiles.ts, cisco).
    for (const key of answer.keys) child(field, 'option', { dtmf: key, value: key });
    return;
  }
  const grammar = child(field, 'grammar', {
    mode: 'dtmf',
    version: '1.0',
    root: ANSWER_FIELD,
    type: 'application/srgs+xml',
  });
  const oneOf = child(child(grammar, 'rule', { id: ANSWER_FIELD, scope: 'public' }), 'one-of');
  for (const key of answer.keys) child(oneOf, 'item').txt(xmlText(key));
}

function renderEnd(vxml: XMLBuilder, page: EndPage): void {
  // The result is the declared value: nothing to assign, so nothing to fail on a platform
  // where <assign> to an undeclared name (the root not loaded) is error.semantic.
  renderStandalone(vxml, page.result, page.onError, profileOf(page.platform));
  const block = child(child(vxml, 'form', { id: 'end' }), 'block');
  if (page.prompt?.length) renderPrompt(block, page.prompt, page);
  renderEnding(block, page.ending, profileOf(page.platform));
}

/**
 * Where the platform sets its own fetchaudio timing (2 s delay, 5 s minimum are common),
 * a short hold would last 5 s: the profile's values go on the form that submits with hold audio.
 */
function renderFetchAudioTiming(form: XMLBuilder, profile: PlatformProfile): void {
  if (!profile.fetchAudio) return;
  child(form, 'property', { name: 'fetchaudiodelay', value: profile.fetchAudio.delay });
  child(form, 'property', { name: 'fetchaudiominimum', value: profile.fetchAudio.minimum });
}

function renderEnding(parent: XMLBuilder, ending: Ending, profile: PlatformProfile): void {
  switch (ending.kind) {
    case 'hangup':
      // The result variables are declared either way; a VoiceXML 2.0 browser gets a bare <disconnect/>.
      child(parent, 'disconnect', profile.disconnectNamelist ? { namelist: NAMELIST } : {});
      break;
    case 'exit':
      child(parent, 'exit', { namelist: NAMELIST });
      break;
    case 'return':
      child(parent, 'return', { namelist: NAMELIST });
      break;
    case 'goto':
      child(parent, 'submit', { next: ending.url, method: 'get', namelist: NAMELIST });
      break;
  }
}

/**
 * Prompt text with each run of white space (a line break typed into a campaign prompt,
 * a tab) made one space: SSML reads them alike, and a platform that does not (see
 * layout.ts) gets no layout whitespace to trip on. One space is kept, never removed:
 * it is what separates "ending in" from the digits.
 */
function spokenText(text: string): string {
  return text.replace(/[ \t\r\n]+/g, ' ');
}

function renderPrompt(parent: XMLBuilder, speech: Speech, choice: PlatformChoice): void {
  renderSpeech(child(parent, 'prompt'), speech, choice);
}

function renderSpeech(parent: XMLBuilder, speech: Speech, choice: PlatformChoice): void {
  for (const part of speech) {
    switch (part.kind) {
      case 'text':
        parent.txt(xmlText(spokenText(part.text)));
        break;
      case 'digits':
        renderDigits(parent, part.digits, choice);
        break;
      case 'audio':
        renderSpeech(child(parent, 'audio', { src: part.src }), part.fallback, choice);
        break;
    }
  }
}

/**
 * Digits read back as the page's platform reads them best: recorded digits from the
 * campaign's digitAudio base URL (each with its TTS reading inside <audio> as the
 * fallback), else the profile's TTS form.
 */
function renderDigits(parent: XMLBuilder, digits: string, choice: PlatformChoice): void {
  const profile = profileOf(choice.platform);
  if (!choice.digitAudio) {
    ttsDigits(parent, digits, profile);
    return;
  }
  const base = choice.digitAudio.endsWith('/') ? choice.digitAudio : `${choice.digitAudio}/`;
  [...digits].forEach((digit, i) => {
    // A space between fallbacks, or TTS reads "12" as twelve when both recordings fail.
    if (i && profile.digits === 'spaced') parent.txt(' ');
    ttsDigits(child(parent, 'audio', { src: `${base}${digit}.wav` }), digit, profile);
  });
}

function ttsDigits(parent: XMLBuilder, digits: string, profile: PlatformProfile): void {
  if (profile.digits === 'spaced') {
    // "1 2 3 4" as plain text: every TTS engine says it digit by digit.
    parent.txt(xmlText([...digits].join(' ')));
    return;
  }
  // vxml:digits is the VoiceXML builtin say-as type: "1 2 3 4", not "one thousand...".
  child(parent, 'say-as', { 'interpret-as': 'vxml:digits' }).txt(xmlText(digits));
}

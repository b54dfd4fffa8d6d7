import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import {
  RESULT_VARIABLES,
  type Answer,
  type CallResult,
  type EndPage,
  type Ending,
  type Page,
  type QuestionPage,
  type RootPage,
  type Speech,
} from './model';

const VXML_NS = 'http://www.w3.org/2001/vxml';
const NAMELIST = RESULT_VARIABLES.join(' ');
const ANSWER_FIELD = 'answer';

/** Renders a page as a VoiceXML 2.1 document. Pure: same page, same bytes. */
export function renderPage(page: Page): string {
  const attrs: Record<string, string> = { version: '2.1', 'xml:lang': page.lang };
  if (page.kind !== 'root') attrs.application = page.application;
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
  return doc.end({ prettyPrint: true });
}

/** An ECMAScript string literal, for expr attributes (the XML builder escapes it again). */
export function jsString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\r?\n/g, '\\n')}'`;
}

function renderRoot(vxml: XMLBuilder, page: RootPage): void {
  vxml.ele('var', { name: 'status', expr: jsString('failed') });
  vxml.ele('var', { name: 'reason', expr: jsString('error') });
  vxml.ele('var', { name: 'maskedNumber', expr: jsString('') });
  // We only ever listen for keys: speech recognition would mishear background noise.
  vxml.ele('property', { name: 'inputmodes', value: 'dtmf' });
  vxml.ele('property', { name: 'fetchtimeout', value: page.fetchTimeout });

  // Any error (a fetch that failed, a platform quirk) hands the call back instead of
  // leaving the caller in silence. A text already sent keeps its "sent" status.
  const first = vxml.ele('catch', { event: 'error', count: '1' });
  first.ele('log').txt('ivr-deflect: error, handing the call back: ').ele('value', { expr: '_event' });
  const notSent = first.ele('if', { cond: `status != ${jsString('sent')}` });
  notSent.ele('assign', { name: 'status', expr: jsString('failed') });
  notSent.ele('assign', { name: 'reason', expr: jsString('error') });
  renderEnding(first, page.onError);
  // If the ending itself fails (a return URL that is down), stop trying to fetch anything.
  const second = vxml.ele('catch', { event: 'error', count: '2' });
  renderEnding(second, page.onError.kind === 'return' ? page.onError : { kind: 'exit' });
}

function renderQuestion(vxml: XMLBuilder, page: QuestionPage): void {
  const form = vxml.ele('form', { id: 'ask' });
  // After a hang-up the browser may still submit once: we record the abandoned call.
  form
    .ele('catch', { event: 'connection.disconnect.hangup' })
    .ele('submit', { next: page.giveUpUrls.hangUp, method: 'post' });
  if (page.preface?.length) renderPrompt(form.ele('block'), page.preface);

  const field = form.ele('field', fieldAttributes(page.answer));
  renderAnswerGrammar(field, page.answer);
  renderPrompt(field, page.prompt);

  for (const [event, speech, giveUp] of [
    ['noinput', page.noInput, page.giveUpUrls.noInput],
    ['nomatch', page.noMatch, page.giveUpUrls.noMatch],
  ] as const) {
    // count="1" handles every occurrence below maxRetries (VoiceXML picks the highest
    // count not above the counter), then the last one gives up.
    if (page.maxRetries > 1) {
      const retry = field.ele(event, { count: '1' });
      renderPrompt(retry, speech);
      retry.ele('reprompt');
    }
    field.ele(event, { count: String(page.maxRetries) }).ele('submit', { next: giveUp, method: 'post' });
  }

  const submit: Record<string, string> = { next: page.submitUrl, namelist: ANSWER_FIELD, method: 'post' };
  if (page.submitFetch?.timeout) submit.fetchtimeout = page.submitFetch.timeout;
  if (page.submitFetch?.audio) submit.fetchaudio = page.submitFetch.audio;
  field.ele('filled').ele('submit', submit);
}

function fieldAttributes(answer: Answer): Record<string, string> {
  return answer.kind === 'digits'
    ? { name: ANSWER_FIELD, type: `digits?minlength=${answer.minLength};maxlength=${answer.maxLength}` }
    : { name: ANSWER_FIELD };
}

function renderAnswerGrammar(field: XMLBuilder, answer: Answer): void {
  if (answer.kind === 'digits') {
    // The builtin digits grammar from the field type; pound ends the entry.
    field.ele('property', { name: 'termchar', value: '#' });
    field.ele('property', { name: 'interdigittimeout', value: '5s' });
    return;
  }
  const grammar = field.ele('grammar', {
    mode: 'dtmf',
    version: '1.0',
    root: ANSWER_FIELD,
    type: 'application/srgs+xml',
  });
  const oneOf = grammar.ele('rule', { id: ANSWER_FIELD, scope: 'public' }).ele('one-of');
  for (const key of answer.keys) oneOf.ele('item').txt(key);
}

function renderEnd(vxml: XMLBuilder, page: EndPage): void {
  const block = vxml.ele('form', { id: 'end' }).ele('block');
  if (page.prompt?.length) renderPrompt(block, page.prompt);
  assignResult(block, page.result);
  renderEnding(block, page.ending);
}

function assignResult(parent: XMLBuilder, result: CallResult): void {
  for (const name of RESULT_VARIABLES) parent.ele('assign', { name, expr: jsString(result[name]) });
}

function renderEnding(parent: XMLBuilder, ending: Ending): void {
  switch (ending.kind) {
    case 'hangup':
      parent.ele('disconnect', { namelist: NAMELIST });
      break;
    case 'exit':
      parent.ele('exit', { namelist: NAMELIST });
      break;
    case 'return':
      parent.ele('return', { namelist: NAMELIST });
      break;
    case 'goto':
      parent.ele('submit', { next: ending.url, method: 'get', namelist: NAMELIST });
      break;
  }
}

function renderPrompt(parent: XMLBuilder, speech: Speech): void {
  renderSpeech(parent.ele('prompt'), speech);
}

function renderSpeech(parent: XMLBuilder, speech: Speech): void {
  for (const part of speech) {
    switch (part.kind) {
      case 'text':
        parent.txt(part.text);
        break;
      case 'digits':
        // vxml:digits is the VoiceXML builtin say-as type: "1 2 3 4", not "one thousand...".
        parent.ele('say-as', { 'interpret-as': 'vxml:digits' }).txt(part.digits);
        break;
      case 'audio':
        renderSpeech(parent.ele('audio', { src: part.src }), part.fallback);
        break;
    }
  }
}

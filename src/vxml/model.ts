/**
 * The small dialog model the call flow speaks in. Pages say what the caller hears and
 * what happens next; src/vxml/render.ts turns them into VoiceXML 2.1. Keeping the model
 * this narrow is what lets every document we can produce be schema-checked in tests.
 */

import type { PlatformName } from './platforms/profiles';

/**
 * How a page is written for the IVR platform (src/vxml/platforms/profiles.ts). Absent
 * means generic; digitAudio is the base URL of recorded digits (0.wav to 9.wav).
 */
export interface PlatformChoice {
  platform?: PlatformName;
  digitAudio?: string;
}

export type SpeechPart =
  | { kind: 'text'; text: string }
  /** Spoken digit by digit (phone numbers, last four digits). */
  | { kind: 'digits'; digits: string }
  /** Recorded audio; the fallback is spoken when the audio cannot be fetched or played. */
  | { kind: 'audio'; src: string; fallback: Speech };

export type Speech = SpeechPart[];

export type CallStatus = 'sent' | 'declined' | 'unavailable' | 'failed';

/** What the IVR gets back: exit/disconnect/return namelist, or the return URL's query. */
export interface CallResult {
  status: CallStatus;
  reason: string;
  /** "+*******1234" once a destination is known, else empty. */
  maskedNumber: string;
}

/**
 * The variables every ending hands back. Declared in the application root document and
 * again in every page, which must not depend on the root being loaded (see render.ts).
 */
export const RESULT_VARIABLES = ['status', 'reason', 'maskedNumber'] as const;

export type Ending =
  | { kind: 'hangup' }
  | { kind: 'exit' }
  /** Back to the IVR: the URL is fetched with GET and the result variables in its query. */
  | { kind: 'goto'; url: string }
  /** Subdialog mode: <return> with the result variables. */
  | { kind: 'return' };

export type Answer =
  | { kind: 'keys'; keys: string[] }
  | { kind: 'digits'; minLength: number; maxLength: number };

export interface FetchHints {
  /** VoiceXML time designation, e.g. "10s". */
  timeout?: string;
  /** Audio played while the browser waits (hold music instead of dead air). */
  audio?: string;
}

/** How long a question listens, as VoiceXML time designations (e.g. "5s"). */
export interface InputTimers {
  /** Silence after the prompts before noinput: the VoiceXML timeout property. */
  noInput: string;
  /** Pause between keys that ends an entry: the VoiceXML interdigittimeout property. */
  interDigit: string;
}

/** Asks one question; the answer is submitted as the form field "answer". */
export interface QuestionPage extends PlatformChoice {
  kind: 'question';
  lang: string;
  application: string;
  /** Spoken once before the question, not on reprompts. */
  preface?: Speech;
  prompt: Speech;
  answer: Answer;
  noInput: Speech;
  noMatch: Speech;
  /** The event count at which the caller is given up on. */
  maxRetries: number;
  /**
   * No-matches already counted at this question by the server (answers outside the
   * grammar that a lax platform submitted): the page gives up on nomatch that much sooner.
   */
  noMatchesCounted?: number;
  /** Absent only in pages stored before timers existed: the platform's defaults then apply. */
  timers?: InputTimers;
  submitUrl: string;
  submitFetch?: FetchHints;
  /** Where the browser reports giving up, or the caller hanging up (recorded, not heard). */
  giveUpUrls: { noInput: string; noMatch: string; hangUp: string };
  /**
   * How an error on this page ends the call: every page catches its own errors, as the
   * root does, so the call is handed back even where the platform never loaded the root.
   * Optional only because pages stored whole by older calls lack it (they rely on the root).
   */
  onError?: Ending;
}

/** Says something (or nothing) and ends the dialog with a result. */
export interface EndPage extends PlatformChoice {
  kind: 'end';
  lang: string;
  application: string;
  prompt?: Speech;
  result: CallResult;
  ending: Ending;
  /** How an error on this page (a return URL that is down) ends the call; as QuestionPage's. */
  onError?: Ending;
}

/** The application root document: result variables, shared properties and catch handlers. */
export interface RootPage extends PlatformChoice {
  kind: 'root';
  lang: string;
  fetchTimeout: string;
  /** How an unexpected error (error.badfetch, error.semantic...) ends the call. */
  onError: Ending;
}

export type Page = QuestionPage | EndPage | RootPage;

/** What a key sequence meant to a grammar, as the interpreter stores it in name$ and lastresult$. */
export interface GrammarMatch {
  utterance: string;
  interpretation: unknown;
}

export interface DtmfGrammar {
  /** Short human description for a tester, e.g. "1 | 2", "digits (3 to 5)", "yes (1) | no (2)". */
  describe(): string;
  /** Matches the WHOLE key sequence (the interpreter already stripped the termchar), e.g. "123" or "*9". undefined when it does not match. */
  match(keys: string): GrammarMatch | undefined;
  /** True when `keys` is a proper prefix of something this grammar would accept (lets the interpreter tell a caller who is still typing); may be approximate. */
  couldContinue(keys: string): boolean;
}

/**
 * A grammar the interpreter cannot use. `event` is the VoiceXML event it throws:
 * 'error.unsupported.builtin', 'error.unsupported.format', 'error.unsupported.uri',
 * 'error.badfetch' / 'error.badfetch.grammar' (bad grammar content) or 'error.semantic'
 * (a tag script failed while interpreting a match).
 */
export class GrammarError extends Error {
  constructor(
    readonly event: string,
    message: string,
  ) {
    super(message);
    this.name = 'GrammarError';
  }
}

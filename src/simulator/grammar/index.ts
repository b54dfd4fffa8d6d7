/**
 * The DTMF grammar engine: turns the keys a caller pressed into an utterance and an
 * interpretation, for builtin types (builtin.ts), SRGS grammars with SISR tags (srgs.ts,
 * sisr.ts) and the simple sequences of <choice dtmf> and <option dtmf> (sequence.ts).
 * Every match's utterance is its keys separated by spaces, "1 2 3" (keys.ts says why).
 */
export { GrammarError, type DtmfGrammar, type GrammarMatch } from './types';
export { builtinGrammar } from './builtin';
export { srgsGrammar, type ExternalGrammars } from './srgs';
export { sequenceGrammar } from './sequence';

import { keyList, utteranceOf } from './keys';
import { GrammarError, type DtmfGrammar } from './types';

/** A simple DTMF sequence as in <choice dtmf="1"> or <option dtmf="*9">: tokens separated by optional spaces; matches exactly that sequence with the given interpretation. */
export function sequenceGrammar(dtmf: string, interpretation: unknown): DtmfGrammar {
  const expected = keyList(dtmf);
  if (!expected?.length) throw new GrammarError('error.badfetch', `dtmf="${dtmf}" is not a sequence of DTMF keys`);
  const wanted = expected.join('');
  return {
    describe: () => wanted,
    match(keys) {
      const pressed = keyList(keys);
      return pressed?.join('') === wanted ? { utterance: utteranceOf(pressed), interpretation } : undefined;
    },
    couldContinue(keys) {
      const pressed = keyList(keys);
      return !!pressed && pressed.length < expected.length && wanted.startsWith(pressed.join(''));
    },
  };
}

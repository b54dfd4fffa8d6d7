import { firstNonXmlChar } from '../xml-chars';

/**
 * Checks a campaign document as data, before the schema and before anything that walks it
 * recursively (JSON.stringify, deep comparisons, the console's pages): every string, keys
 * included, must be text XML can hold (prompts become VoiceXML, names become pages), and
 * nothing may be nested deeper than MAX_NESTING (an availability `body` nested 100,000
 * deep overflowed the stack). Iterative, so it cannot overflow itself.
 */

/** Objects and arrays inside one another, counted from the campaign itself; real ones need under 10. */
export const MAX_NESTING = 32;
/** Problems reported at most: one is enough to fix, a page of them is noise. */
const MAX_PROBLEMS = 10;

export interface DocumentProblem {
  path: Array<string | number>;
  message: string;
}

export function documentProblems(document: unknown): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: document, path: [] }];
  while (stack.length && problems.length < MAX_PROBLEMS) {
    const { value, path } = stack.pop() as { value: unknown; path: Array<string | number> };
    if (typeof value === 'string') {
      const bad = firstNonXmlChar(value);
      if (bad) problems.push({ path, message: `must not contain control characters or non-characters (found ${bad})` });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_NESTING) {
      problems.push({ path, message: `is nested too deeply (more than ${MAX_NESTING} levels of objects and arrays)` });
      continue;
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, child] = entries[i] as [string | number, unknown];
      const childPath = [...path, key];
      const badKey = typeof key === 'string' ? firstNonXmlChar(key) : undefined;
      // Reported at the parent: the bad name itself is not echoed back.
      if (badKey) problems.push({ path, message: `has a field name with a control character or non-character (found ${badKey})` });
      else stack.push({ value: child, path: childPath });
    }
  }
  return problems;
}

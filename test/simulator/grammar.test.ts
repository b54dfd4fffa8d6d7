import { parseXml, type VxmlElement } from '../../src/simulator/dom';
import { builtinGrammar, GrammarError, sequenceGrammar, srgsGrammar, type DtmfGrammar } from '../../src/simulator/grammar';

/** A DTMF grammar element as VoiceXML documents write them inline. */
function grammarElement(rules: string, attrs = 'root="r"', mode = 'mode="dtmf"'): VxmlElement {
  return parseXml(`<grammar xmlns="http://www.w3.org/2001/vxml" ${mode} version="1.0" ${attrs}>${rules}</grammar>`);
}

function srgs(rules: string, attrs?: string): DtmfGrammar {
  const grammar = srgsGrammar(grammarElement(rules, attrs));
  if (!grammar) throw new Error('expected a DTMF grammar');
  return grammar;
}

/** The VoiceXML event a call throws, or undefined when it throws nothing. */
function eventOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (err) {
    if (err instanceof GrammarError) return err.event;
    throw err;
  }
  return undefined;
}

const interpretation = (grammar: DtmfGrammar, keys: string) => grammar.match(keys)?.interpretation;

describe('builtin digits', () => {
  it('takes one or more digits and interprets them as the digit string', () => {
    const digits = builtinGrammar('digits');
    expect(digits.match('0123')).toEqual({ utterance: '0 1 2 3', interpretation: '0123' });
    expect(digits.match('')).toBeUndefined();
    expect(digits.match('12*')).toBeUndefined();
    expect(digits.match('1#')).toBeUndefined();
    expect(digits.describe()).toBe('digits');
    expect(digits.couldContinue('123')).toBe(true);
    expect(digits.couldContinue('1*')).toBe(false);
  });

  it('length requires exactly that many digits', () => {
    const pin = builtinGrammar('digits?length=4');
    expect(interpretation(pin, '1234')).toBe('1234');
    expect(pin.match('123')).toBeUndefined();
    expect(pin.match('12345')).toBeUndefined();
    expect(pin.describe()).toBe('digits (4)');
    expect(pin.couldContinue('123')).toBe(true);
    expect(pin.couldContinue('1234')).toBe(false);
  });

  it('minlength and maxlength bound the count, alone or together', () => {
    const both = builtinGrammar('digits?minlength=2;maxlength=5');
    expect(both.match('1')).toBeUndefined();
    expect(interpretation(both, '12')).toBe('12');
    expect(interpretation(both, '12345')).toBe('12345');
    expect(both.match('123456')).toBeUndefined();
    expect(both.describe()).toBe('digits (2 to 5)');

    const min = builtinGrammar('digits?minlength=3');
    expect(min.match('12')).toBeUndefined();
    expect(interpretation(min, '1234567890')).toBe('1234567890');
    expect(min.describe()).toBe('digits (at least 3)');

    const max = builtinGrammar('builtin:dtmf/digits?maxlength=3');
    expect(interpretation(max, '7')).toBe('7');
    expect(max.match('1234')).toBeUndefined();
    expect(max.describe()).toBe('digits (up to 3)');
    expect(max.couldContinue('12')).toBe(true);
    expect(max.couldContinue('123')).toBe(false);
  });

  it('rejects conflicting or malformed parameters with error.badfetch, unknown ones as unsupported', () => {
    expect(eventOf(() => builtinGrammar('digits?length=4;minlength=2'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('digits?length=4;maxlength=4'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('digits?minlength=5;maxlength=2'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('digits?length=four'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('digits?length=0'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('digits?length'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('digits?entries=list.txt'))).toBe('error.unsupported.builtin');
  });
});

describe('builtin boolean', () => {
  it('is true for 1 and false for 2 by default', () => {
    const yesNo = builtinGrammar('boolean');
    expect(yesNo.match('1')).toEqual({ utterance: '1', interpretation: true });
    expect(yesNo.match('2')).toEqual({ utterance: '2', interpretation: false });
    expect(yesNo.match('3')).toBeUndefined();
    expect(yesNo.match('12')).toBeUndefined();
    expect(yesNo.describe()).toBe('yes (1) | no (2)');
    expect(yesNo.couldContinue('')).toBe(true);
    expect(yesNo.couldContinue('1')).toBe(false);
  });

  it('y and n replace the keys', () => {
    const custom = builtinGrammar('builtin:dtmf/boolean?y=7;n=9');
    expect(interpretation(custom, '7')).toBe(true);
    expect(interpretation(custom, '9')).toBe(false);
    expect(custom.match('1')).toBeUndefined();
    expect(custom.describe()).toBe('yes (7) | no (9)');
    expect(interpretation(builtinGrammar('boolean?n=0'), '1')).toBe(true);
    expect(interpretation(builtinGrammar('boolean?n=0'), '0')).toBe(false);
  });

  it('rejects a key used for both or a parameter that is not one key', () => {
    expect(eventOf(() => builtinGrammar('boolean?y=2'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('boolean?y=12'))).toBe('error.badfetch');
    expect(eventOf(() => builtinGrammar('boolean?maxlength=1'))).toBe('error.unsupported.builtin');
  });
});

describe('builtin number, phone and currency', () => {
  it('number: * is the decimal point; the result is a string without leading zeros', () => {
    const number = builtinGrammar('number');
    expect(number.match('42')).toEqual({ utterance: '4 2', interpretation: '42' });
    expect(interpretation(number, '3*14')).toBe('3.14');
    expect(interpretation(number, '007')).toBe('7');
    expect(interpretation(number, '0*50')).toBe('0.50');
    expect(interpretation(number, '0')).toBe('0');
    expect(number.match('*5')).toBeUndefined();
    expect(number.match('1*')).toBeUndefined();
    expect(number.match('1*2*3')).toBeUndefined();
    expect(number.couldContinue('1*')).toBe(true);
    expect(number.couldContinue('*')).toBe(false);
  });

  it('phone: * stands for the extension "x"', () => {
    const phone = builtinGrammar('phone');
    expect(interpretation(phone, '8005551234')).toBe('8005551234');
    expect(interpretation(phone, '8005551234*789')).toBe('8005551234x789');
    expect(phone.match('800**1')).toBeUndefined();
    expect(phone.describe()).toBe('phone (* for an extension)');
  });

  it('currency: * is the decimal point and the amount always has two decimals', () => {
    const currency = builtinGrammar('builtin:dtmf/currency');
    expect(interpretation(currency, '3*99')).toBe('3.99');
    expect(interpretation(currency, '3*5')).toBe('3.50');
    expect(interpretation(currency, '12')).toBe('12.00');
    expect(interpretation(currency, '012*05')).toBe('12.05');
    expect(currency.match('3*999')).toBeUndefined();
    expect(currency.couldContinue('3*9')).toBe(true);
    expect(currency.couldContinue('3*99')).toBe(false);
  });
});

describe('builtin date and time', () => {
  it('date: yyyymmdd of a real day', () => {
    const date = builtinGrammar('date');
    expect(date.match('20240229')).toEqual({ utterance: '2 0 2 4 0 2 2 9', interpretation: '20240229' });
    expect(date.match('20230229')).toBeUndefined();
    expect(date.match('20241301')).toBeUndefined();
    expect(date.match('20240100')).toBeUndefined();
    expect(date.match('2024')).toBeUndefined();
    expect(date.couldContinue('2024')).toBe(true);
    expect(date.couldContinue('20240229')).toBe(false);
  });

  it('time: hhmm, ending in h when only a 24-hour reading exists and ? when am/pm is unknown', () => {
    const time = builtinGrammar('time');
    expect(interpretation(time, '0930')).toBe('0930?');
    expect(interpretation(time, '1200')).toBe('1200?');
    expect(interpretation(time, '1745')).toBe('1745h');
    expect(interpretation(time, '0005')).toBe('0005h');
    expect(time.match('2400')).toBeUndefined();
    expect(time.match('0960')).toBeUndefined();
    expect(time.match('930')).toBeUndefined();
  });
});

describe('builtin types and URIs', () => {
  it('unknown types and URI schemes are error.unsupported.builtin', () => {
    expect(eventOf(() => builtinGrammar('creditcard'))).toBe('error.unsupported.builtin');
    expect(eventOf(() => builtinGrammar('builtin:voice/digits'))).toBe('error.unsupported.builtin');
    expect(eventOf(() => builtinGrammar('number?length=3'))).toBe('error.unsupported.builtin');
  });

  it('builtin:grammar/ names the speech grammar: valid, but no keys ever match it', () => {
    const speech = builtinGrammar('builtin:grammar/digits?length=4');
    expect(speech.match('1234')).toBeUndefined();
    expect(speech.couldContinue('1')).toBe(false);
    expect(speech.describe()).toBe('digits (4) (speech only: no keys match)');
    expect(eventOf(() => builtinGrammar('builtin:grammar/digits?length=4;minlength=2'))).toBe('error.badfetch');
  });
});

describe('SRGS one-of and tokens', () => {
  it('matches one alternative; without tags the interpretation is the keys matched', () => {
    const menu = srgs('<rule id="r" scope="public"><one-of><item>1</item><item>2</item></one-of></rule>');
    expect(menu.describe()).toBe('1 | 2');
    expect(menu.match('2')).toEqual({ utterance: '2', interpretation: '2' });
    expect(menu.match('3')).toBeUndefined();
    expect(menu.match('12')).toBeUndefined();
  });

  it('reads multi-key tokens, quoted tokens, <token> and A-D, and spaces as SISR text', () => {
    const grammar = srgs(
      '<rule id="r"><one-of><item>123</item><item>"9"</item><item><token>*</token> 0</item><item>a #</item></one-of></rule>',
    );
    expect(grammar.match('123')).toEqual({ utterance: '1 2 3', interpretation: '1 2 3' });
    expect(interpretation(grammar, '9')).toBe('9');
    expect(interpretation(grammar, '*0')).toBe('* 0');
    expect(interpretation(grammar, 'A#')).toBe('A #');
    expect(grammar.describe()).toBe('1 2 3 | 9 | * 0 | A #');
  });

  it('takes the first alternative in document order when several match', () => {
    const grammar = srgs(`<rule id="r"><one-of>
      <item>1 2<tag>out = 'first'</tag></item>
      <item>1 2<tag>out = 'second'</tag></item>
    </one-of></rule>`);
    expect(interpretation(grammar, '12')).toBe('first');
  });

  it('accepts the SRGS namespace, the srgs+xml type and ignores <example>', () => {
    const grammar = srgsGrammar(
      parseXml(`<grammar xmlns="http://www.w3.org/2001/06/grammar" type="application/srgs+xml" mode="dtmf" root="r">
        <rule id="r"><example>1</example><item>1</item></rule></grammar>`),
    );
    expect(grammar?.match('1')?.interpretation).toBe('1');
  });
});

describe('SRGS repeats', () => {
  const digit = '<rule id="digit"><one-of><item>0</item><item>1</item><item>2</item><item>3</item></one-of></rule>';

  it('repeat="n" matches exactly n times', () => {
    const grammar = srgs(`<rule id="r"><item repeat="3"><ruleref uri="#digit"/></item></rule>${digit}`);
    expect(interpretation(grammar, '123')).toBe('1 2 3');
    expect(grammar.match('12')).toBeUndefined();
    expect(grammar.match('1230')).toBeUndefined();
    expect(grammar.describe()).toBe('(0 | 1 | 2 | 3)<3>');
    expect(grammar.couldContinue('12')).toBe(true);
    expect(grammar.couldContinue('123')).toBe(false);
  });

  it('repeat="n-m" matches from n to m times', () => {
    const grammar = srgs(`<rule id="r"><item repeat="2-4"><ruleref uri="#digit"/></item></rule>${digit}`);
    expect(grammar.match('1')).toBeUndefined();
    expect(interpretation(grammar, '12')).toBe('1 2');
    expect(interpretation(grammar, '1230')).toBe('1 2 3 0');
    expect(grammar.match('12301')).toBeUndefined();
    expect(grammar.describe()).toBe('(0 | 1 | 2 | 3)<2-4>');
  });

  it('repeat="n-" has no upper bound, and the caller may always continue', () => {
    const grammar = srgs(`<rule id="r"><item repeat="1-"><ruleref uri="#digit"/></item></rule>${digit}`);
    expect(grammar.match('')).toBeUndefined();
    expect(interpretation(grammar, '0123012301230123')).toBe('0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3');
    expect(grammar.describe()).toBe('(0 | 1 | 2 | 3)<1->');
    expect(grammar.couldContinue('0123')).toBe(true);
    expect(grammar.couldContinue('9')).toBe(false);
  });

  it('repeat="0-1" makes an item optional', () => {
    const grammar = srgs('<rule id="r"><item repeat="0-1">*</item> 9</rule>');
    expect(interpretation(grammar, '9')).toBe('9');
    expect(interpretation(grammar, '*9')).toBe('* 9');
    expect(grammar.match('**9')).toBeUndefined();
    expect(grammar.describe()).toBe('[*] 9');
  });

  it('backtracks out of a greedy open repeat so the items after it can match', () => {
    const grammar = srgs(`<rule id="r" scope="public">
      <item repeat="1-"><one-of><item>1</item><item>2</item></one-of></item> 2 <item repeat="0-1">#</item>
    </rule>`);
    expect(interpretation(grammar, '1212')).toBe('1 2 1 2');
    expect(interpretation(grammar, '22#')).toBe('2 2 #');
    expect(grammar.match('2')).toBeUndefined();
  });

  it('resolves ambiguous repeats deterministically: earlier repeats take as much as they can', () => {
    const grammar = srgs(`<rule id="r"><tag>out.a = 0; out.b = 0;</tag>
      <item repeat="0-">1<tag>out.a++</tag></item>
      <item repeat="0-">1<tag>out.b++</tag></item>
      <item repeat="1-3">1<tag>out.c = meta.current().text</tag></item>
    </rule>`);
    expect(interpretation(grammar, '1111')).toEqual({ a: 3, b: 0, c: '1 1 1 1' });
  });

  it('repeats of something that can match nothing still end', () => {
    const grammar = srgs('<rule id="r"><item repeat="2-"><item repeat="0-1">5</item><tag>out.n = (out.n || 0) + 1</tag></item> 9</rule>');
    expect(interpretation(grammar, '9')).toEqual({ n: 2 });
    expect(interpretation(grammar, '5559')).toEqual({ n: 3 });
  });

  it('rejects malformed repeat attributes', () => {
    expect(eventOf(() => srgs('<rule id="r"><item repeat="3-1">1</item></rule>'))).toBe('error.badfetch.grammar');
    expect(eventOf(() => srgs('<rule id="r"><item repeat="many">1</item></rule>'))).toBe('error.badfetch.grammar');
  });
});

describe('SISR tags', () => {
  const transfer = `
    <rule id="r" scope="public">
      <one-of>
        <item>0<tag>out.action = 'operator';</tag></item>
        <item>
          9 <ruleref uri="#extension"/>
          <tag>out.action = 'transfer'; out.ext = rules.extension;</tag>
        </item>
      </one-of>
    </rule>
    <rule id="extension">
      <tag>out = '';</tag>
      <item repeat="3"><ruleref uri="#digit"/><tag>out += rules.digit;</tag></item>
    </rule>
    <rule id="digit">
      <one-of>
        <item>1<tag>out = '1'</tag></item><item>2<tag>out = '2'</tag></item><item>3<tag>out = '3'</tag></item>
      </one-of>
    </rule>`;

  it('builds objects through nested rulerefs', () => {
    const grammar = srgs(transfer, 'root="r" tag-format="semantics/1.0"');
    expect(grammar.match('9123')).toEqual({ utterance: '9 1 2 3', interpretation: { action: 'transfer', ext: '123' } });
    expect(interpretation(grammar, '0')).toEqual({ action: 'operator' });
    expect(grammar.describe()).toBe('0 | 9 (1 | 2 | 3)<3>');
  });

  it('treats tags as SISR script when tag-format is absent', () => {
    expect(interpretation(srgs(transfer), '9321')).toEqual({ action: 'transfer', ext: '321' });
  });

  it('gives a referenced rule without tags its text, and offers rules.latest() and meta', () => {
    const grammar = srgs(`
      <rule id="r">
        <ruleref uri="#account"/> * <ruleref uri="#pin"/>
        <tag>
          // a comment on its own line must not swallow the next statement
          var both = rules.account + '/' + rules.latest();
          out.both = both;
          out.accountText = meta.account.text;
          out.lastText = meta.latest().text;
        </tag>
        <tag>out.sofar = meta.current().text; out.reused = both;</tag>
      </rule>
      <rule id="account"><item repeat="2">1</item></rule>
      <rule id="pin"><item repeat="2">2</item><tag>out = 'secret'</tag></rule>`);
    expect(interpretation(grammar, '11*22')).toEqual({
      both: '1 1/secret',
      accountText: '1 1',
      lastText: '2 2',
      sofar: '1 1 * 2 2',
      reused: '1 1/secret',
    });
  });

  it('runs the tags outside rules first, in the grammar scope', () => {
    const grammar = srgs('<tag>var prefix = "dept-";</tag><rule id="r">4<tag>out = prefix + meta.current().text</tag></rule>');
    expect(interpretation(grammar, '4')).toBe('dept-4');
  });

  it('semantics/1.0-literals: the tag text is the value', () => {
    const grammar = srgs(
      `<rule id="r"><one-of>
        <item>1<tag> sales </tag></item>
        <item>2<tag>support</tag></item>
        <item>3</item>
      </one-of></rule>`,
      'root="r" tag-format="semantics/1.0-literals"',
    );
    expect(interpretation(grammar, '1')).toBe('sales');
    expect(interpretation(grammar, '2')).toBe('support');
    expect(interpretation(grammar, '3')).toBe('3');
  });

  it('returns plain values of this realm', () => {
    const grammar = srgs('<rule id="r">1<tag>out.list = [1, 2]; out.nested = { deep: true }; out.skip = function () {};</tag></rule>');
    const value = interpretation(grammar, '1') as { list: unknown; nested: object };
    expect(value).toEqual({ list: [1, 2], nested: { deep: true } });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Array.isArray(value.list)).toBe(true);
  });

  it('throws error.semantic when a tag fails, does not parse or runs too long', () => {
    expect(eventOf(() => srgs('<rule id="r">1<tag>out.x = rules.missing.value;</tag></rule>').match('1'))).toBe('error.semantic');
    expect(eventOf(() => srgs('<rule id="r">1<tag>out = ;</tag></rule>').match('1'))).toBe('error.semantic');
    expect(eventOf(() => srgs('<rule id="r">1<tag>while (true) {}</tag></rule>').match('1'))).toBe('error.semantic');
    expect(eventOf(() => srgs('<rule id="r">1<tag>out = require("fs")</tag></rule>').match('1'))).toBe('error.semantic');
  });

  it('rejects tag formats it does not know', () => {
    expect(eventOf(() => srgs('<rule id="r">1</rule>', 'root="r" tag-format="semantics/2.0"'))).toBe('error.unsupported.format');
  });
});

describe('SRGS special rules', () => {
  it('GARBAGE swallows any keys, fewest first, and leaves them out of the rule text', () => {
    const grammar = srgs('<rule id="r"><ruleref special="GARBAGE"/> 9</rule>');
    expect(grammar.match('9')).toEqual({ utterance: '9', interpretation: '9' });
    expect(grammar.match('1239')).toEqual({ utterance: '1 2 3 9', interpretation: '9' });
    expect(grammar.match('1299')).toEqual({ utterance: '1 2 9 9', interpretation: '9' });
    expect(grammar.match('123')).toBeUndefined();
    expect(grammar.couldContinue('123')).toBe(true);
    expect(grammar.describe()).toBe('$GARBAGE 9');
  });

  it('NULL matches nothing, so it makes an alternative optional', () => {
    const grammar = srgs('<rule id="r"><one-of><item><ruleref special="NULL"/></item><item>0</item></one-of> 5</rule>');
    expect(interpretation(grammar, '5')).toBe('5');
    expect(interpretation(grammar, '05')).toBe('0 5');
  });

  it('VOID never matches, taking its alternative out', () => {
    const grammar = srgs('<rule id="r"><one-of><item>1 <ruleref special="VOID"/></item><item>2</item></one-of></rule>');
    expect(grammar.match('1')).toBeUndefined();
    expect(interpretation(grammar, '2')).toBe('2');
    expect(grammar.describe()).toBe('1 $VOID | 2');
  });
});

describe('SRGS references to other grammars', () => {
  it('embeds a DTMF builtin through ruleref', () => {
    const grammar = srgs(
      '<rule id="r">* <ruleref uri="builtin:dtmf/digits?length=4"/><tag>out.pin = rules.latest(); out.text = meta.current().text;</tag></rule>',
    );
    expect(grammar.match('*1234')).toEqual({ utterance: '* 1 2 3 4', interpretation: { pin: '1234', text: '* 1 2 3 4' } });
    expect(grammar.match('*123')).toBeUndefined();
    expect(grammar.couldContinue('*12')).toBe(true);
    expect(grammar.describe()).toBe('* $<builtin:dtmf/digits?length=4>');
  });

  it('resolves external grammars through the resolver, by document uri', () => {
    const departments = grammarElement(
      `<rule id="dept" scope="public"><one-of><item>1<tag>out = 'sales'</tag></item><item>2<tag>out = 'billing'</tag></item></one-of></rule>
       <rule id="hidden"><item>3</item></rule>`,
      'root="dept"',
    );
    const asked: string[] = [];
    const external = (uri: string) => {
      asked.push(uri);
      return uri === 'depts.grxml' ? departments : undefined;
    };
    const main = (uri: string) => grammarElement(`<rule id="r"><ruleref uri="${uri}"/> #<tag>out = { dept: rules.latest() }</tag></rule>`);
    expect(srgsGrammar(main('depts.grxml#dept'), external)?.match('2#')?.interpretation).toEqual({ dept: 'billing' });
    expect(srgsGrammar(main('depts.grxml'), external)?.match('1#')?.interpretation).toEqual({ dept: 'sales' });
    expect(asked).toEqual(['depts.grxml', 'depts.grxml']);
    expect(eventOf(() => srgsGrammar(main('depts.grxml#hidden'), external))).toBe('error.badfetch.grammar');
    expect(eventOf(() => srgsGrammar(main('other.grxml#x'), external))).toBe('error.badfetch.grammar');
    expect(eventOf(() => srgsGrammar(main('depts.grxml#dept')))).toBe('error.unsupported.uri');
  });

  it('refuses speech grammars referenced from a DTMF grammar', () => {
    expect(eventOf(() => srgs('<rule id="r"><ruleref uri="builtin:grammar/digits"/></rule>'))).toBe('error.badfetch.grammar');
    const speech = grammarElement('<rule id="s" scope="public"><item>1</item></rule>', 'root="s"', '');
    expect(eventOf(() => srgsGrammar(grammarElement('<rule id="r"><ruleref uri="s.grxml"/></rule>'), () => speech))).toBe(
      'error.badfetch.grammar',
    );
  });
});

describe('SRGS grammars that cannot be used', () => {
  it('voice grammars are never DTMF grammars', () => {
    expect(srgsGrammar(grammarElement('<rule id="r">yes</rule>', 'root="r"', ''))).toBeUndefined();
    expect(srgsGrammar(grammarElement('<rule id="r">yes</rule>', 'root="r"', 'mode="voice"'))).toBeUndefined();
  });

  it.each([
    ['no root attribute', '<rule id="r">1</rule>', ''],
    ['a root naming no rule', '<rule id="r">1</rule>', 'root="main"'],
    ['a ruleref to an unknown rule', '<rule id="r"><ruleref uri="#nowhere"/></rule>', undefined],
    ['a token that is no DTMF key', '<rule id="r"><item>one</item></rule>', undefined],
    ['a rule without id', '<rule>1</rule>', undefined],
    ['two rules with one id', '<rule id="r">1</rule><rule id="r">2</rule>', undefined],
    ['text directly in one-of', '<rule id="r"><one-of>1<item>2</item></one-of></rule>', undefined],
    ['an empty one-of', '<rule id="r"><one-of/></rule>', undefined],
    ['an unknown element', '<rule id="r"><choice>1</choice></rule>', undefined],
    ['a ruleref with uri and special', '<rule id="r"><ruleref uri="#r" special="NULL"/></rule>', undefined],
    ['an unknown special rule', '<rule id="r"><ruleref special="ANY"/></rule>', undefined],
  ])('%s is error.badfetch.grammar', (_name, rules, attrs) => {
    expect(eventOf(() => srgs(rules, attrs))).toBe('error.badfetch.grammar');
  });

  it('an unknown mode is error.badfetch.grammar, another grammar format unsupported', () => {
    expect(eventOf(() => srgsGrammar(grammarElement('<rule id="r">1</rule>', 'root="r"', 'mode="keys"')))).toBe('error.badfetch.grammar');
    expect(eventOf(() => srgs('<rule id="r">1</rule>', 'root="r" type="application/x-jsgf"'))).toBe('error.unsupported.format');
  });

  it('a left-recursive rule is error.badfetch.grammar when matching reaches it', () => {
    const grammar = srgs('<rule id="r"><one-of><item><ruleref uri="#r"/> 1</item><item>1</item></one-of></rule>');
    expect(eventOf(() => grammar.match('11'))).toBe('error.badfetch.grammar');
  });

  it('right recursion is fine', () => {
    const grammar = srgs('<rule id="r">1 <item repeat="0-1"><ruleref uri="#r"/></item></rule>');
    expect(interpretation(grammar, '111')).toBe('1 1 1');
    expect(grammar.describe()).toBe('1 [$r]');
  });
});

describe('sequenceGrammar', () => {
  it('matches exactly its keys, written with or without spaces, with the given interpretation', () => {
    const star9 = sequenceGrammar('*9', 'http://example.com/#help');
    expect(star9.match('*9')).toEqual({ utterance: '* 9', interpretation: 'http://example.com/#help' });
    expect(star9.match('9')).toBeUndefined();
    expect(star9.match('*99')).toBeUndefined();
    expect(star9.describe()).toBe('*9');

    const spaced = sequenceGrammar('1 2', { choice: 3 });
    expect(spaced.match('12')?.interpretation).toEqual({ choice: 3 });
    expect(spaced.describe()).toBe('12');
  });

  it('could continue only along its own keys', () => {
    const grammar = sequenceGrammar('123', 'x');
    expect(grammar.couldContinue('')).toBe(true);
    expect(grammar.couldContinue('12')).toBe(true);
    expect(grammar.couldContinue('123')).toBe(false);
    expect(grammar.couldContinue('13')).toBe(false);
  });

  it('rejects a dtmf attribute that is not keys', () => {
    expect(eventOf(() => sequenceGrammar('one', 'x'))).toBe('error.badfetch');
    expect(eventOf(() => sequenceGrammar(' ', 'x'))).toBe('error.badfetch');
  });
});

describe('couldContinue on SRGS grammars', () => {
  it('tells a caller still typing from one who went wrong or finished', () => {
    const grammar = srgs('<rule id="r"><one-of><item>1 2 3</item><item>4</item></one-of></rule>');
    expect(grammar.couldContinue('')).toBe(true);
    expect(grammar.couldContinue('12')).toBe(true);
    expect(grammar.couldContinue('123')).toBe(false);
    expect(grammar.couldContinue('4')).toBe(false);
    expect(grammar.couldContinue('5')).toBe(false);
    expect(grammar.couldContinue('1x')).toBe(false);
  });
});

describe('performance', () => {
  it('matches 30 keys against an open repeat of nested one-ofs with tags', () => {
    const grammar = srgs(`
      <rule id="r">
        <tag>out.keys = ''; out.pairs = 0;</tag>
        <item repeat="1-">
          <one-of>
            <item><ruleref uri="#key"/><tag>out.keys += rules.key</tag></item>
            <item><ruleref uri="#key"/><ruleref uri="#key"/><tag>out.pairs++; out.keys += meta.latest().text</tag></item>
            <item><one-of><item>1</item><item><one-of><item>2</item><item>3</item></one-of></item></one-of><tag>out.keys += '?'</tag></item>
          </one-of>
        </item>
        <item repeat="0-1">#</item>
      </rule>
      <rule id="key"><one-of>
        <item><one-of><item>1</item><item>2</item><item>3</item></one-of></item>
        <item><one-of><item>4</item><item>5</item><item>6</item></one-of></item>
        <item><one-of><item>7</item><item>8</item><item>9</item><item>0</item></one-of></item>
      </one-of></rule>`);
    const keys = '123456789012345678901234567890';
    expect(grammar.match(keys)?.interpretation).toEqual({ keys, pairs: 0 });
    expect(grammar.match(`${keys}#`)?.utterance).toBe([...`${keys}#`].join(' '));
    expect(grammar.match(`${keys}*`)).toBeUndefined();
    expect(grammar.couldContinue(keys)).toBe(true);
  });
});

import { toCsv } from '../src/http/csv';

describe('toCsv', () => {
  it('quotes commas, quotes and line breaks (RFC 4180), with CRLF line ends', () => {
    expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['line\nbreak', null]])).toBe(
      'a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",\r\n',
    );
  });

  it('defuses cells a spreadsheet would run as formulas, and keeps phone numbers as text', () => {
    expect(toCsv(['x'], [['=HYPERLINK("http://evil")'], ['+16175551234'], ['-1'], ['@SUM(A1)'], ['plain'], [42]])).toBe(
      `x\r\n"'=HYPERLINK(""http://evil"")"\r\n'+16175551234\r\n'-1\r\n'@SUM(A1)\r\nplain\r\n42\r\n`,
    );
  });
});

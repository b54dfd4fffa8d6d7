import { classifyInboundText } from '../../src/sms/opt-out';

describe('classifyInboundText', () => {
  it.each(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'])('reads %j as stop', (word) => {
    expect(classifyInboundText(word)).toBe('stop');
  });

  it.each(['START', 'UNSTOP', 'YES'])('reads %j as start', (word) => {
    expect(classifyInboundText(word)).toBe('start');
  });

  it.each(['HELP', 'INFO'])('reads %j as help', (word) => {
    expect(classifyInboundText(word)).toBe('help');
  });

  it.each(['stop', 'Stop', 'sToP', 'unsubscribe', 'Start', 'help'])('ignores case: %j', (text) => {
    expect(classifyInboundText(text)).not.toBe('other');
  });

  it.each([' stop ', '\tSTOP\n', 'Stop.', 'STOP!!', 'stop?', 'Stop. ', 'quit…', 'cancel!\r\n'])(
    'ignores surrounding whitespace and trailing punctuation: %j',
    (text) => {
      expect(classifyInboundText(text)).toBe('stop');
    },
  );

  it.each([
    "please don't stop",
    'STOP PLEASE',
    'stop texting me',
    'please cancel',
    'help me',
    'yes please',
    'the end',
    'S T O P',
    'STOPP',
    'ST0P',
    '.stop',
    'stop 🛑',
    '',
    '   ',
    '!!!',
    'Thanks, got the link',
  ])('reads %j as an ordinary text: only the keyword alone counts', (text) => {
    expect(classifyInboundText(text)).toBe('other');
  });
});

import { safeText, shortId } from '../../../shared/text';

describe('safeText', () => {
  it('replaces control characters, so a value cannot forge a log line or drive a terminal', () => {
    expect(safeText('evt-1\r\n[Error] forged line\u001b[2J\u0007')).toBe('evt-1??[Error] forged line?[2J?');
    expect(safeText('a\u2028b\u202ec\u0085d')).toBe('a?b?c?d');
  });

  it('truncates to the limit with an ellipsis', () => {
    expect(safeText('x'.repeat(10), 5)).toBe('xxxx…');
    expect(safeText('short', 5)).toBe('short');
  });

  it('stringifies what is not a string', () => {
    expect(safeText(undefined)).toBe('');
    expect(safeText(42)).toBe('42');
    expect(safeText({ a: '\n' })).toBe('{"a":"\\n"}');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(safeText(circular)).toBe('[object Object]');
  });
});

describe('shortId', () => {
  it('keeps the start of an opaque id', () => {
    expect(
      shortId('aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ=='),
    ).toBe('aHR0cHM6Ly9za3lwZS5uZXQv…');
    expect(shortId(null)).toBe('-');
    expect(shortId('short')).toBe('short');
  });
});

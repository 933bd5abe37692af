import { queryValue } from '../../../functions/http';

/** A query parameter read from the raw URL, as the caller sent it. */
const at = (query: string) => ({ url: `http://127.0.0.1:7071/api/recordings?${query}` });

describe('queryValue', () => {
  it('decodes a percent-encoded value exactly once', () => {
    const id = 'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
    expect(queryValue(at(`serverCallId=${encodeURIComponent(id)}`), 'serverCallId')).toBe(id);
    expect(queryValue(at('serverCallId=a%2Bb%3D&x=1'), 'serverCallId')).toBe('a+b=');
    expect(queryValue(at('participantId=100%2525'), 'participantId')).toBe('100%25');
    expect(queryValue(at('x=1'), 'serverCallId')).toBeUndefined();
    expect(queryValue({ url: 'http://127.0.0.1/api/recordings' }, 'serverCallId')).toBeUndefined();
    expect(queryValue(at('serverCallId='), 'serverCallId')).toBe('');
  });

  it("refuses a raw '+', which a query reads as a space, naming the field and not the value", () => {
    const raw = () => queryValue(at('participantId=4:+14255550123'), 'participantId');
    expect(raw).toThrow("participantId holds a '+', which a query string reads as a space");
    expect(raw).toThrow(expect.objectContaining({ field: 'participantId', kind: 'badInput' }));
    expect(raw).not.toThrow(/14255550123/);
  });

  it('refuses a parameter given twice, or badly encoded', () => {
    expect(() => queryValue(at('serverCallId=a&serverCallId=b'), 'serverCallId')).toThrow(
      'give serverCallId once in the query',
    );
    expect(() => queryValue(at('serverCallId=%E0%A4%A'), 'serverCallId')).toThrow(
      expect.objectContaining({ field: 'serverCallId' }),
    );
    // Another parameter's bad encoding is not this one's problem.
    expect(queryValue(at('other=%ZZ&serverCallId=a'), 'serverCallId')).toBe('a');
  });
});

import { invertDigits, recordingOfListEntry } from '../../../../shared/archive';
import { parseListQuery } from '../../../../shared/console';
import { recordingListEntryName } from '../../../../shared/archive/recordingList';

const now = new Date('2026-05-12T10:00:00Z');
const parse = (params: Record<string, string>) => parseListQuery((name) => params[name], now);

describe('the recordings list query', () => {
  it('turns a day range into its days, newest first', () => {
    expect(parse({ from: '2026-02-27', to: '2026-03-02' }).days).toEqual([
      '20260302',
      '20260301',
      '20260228',
      '20260227',
    ]);
    expect(parse({}).days).toBeNull();
    expect(parse({ from: '2026-05-11' }).days).toEqual(['20260512', '20260511']);
  });

  it.each([
    [{ from: '2026-13-01' }, 'from'],
    [{ from: '2026-05-10', to: '2026-05-01' }, 'from'],
    [{ from: '2025-01-01', to: '2026-01-01' }, 'from'],
    [{ status: 'archived' }, 'status'],
    [{ callId: '../x' }, 'callId'],
    [{ participantId: ' 4:+1 ' }, 'participantId'],
    [{ pageSize: '0' }, 'pageSize'],
    [{ continuationToken: 'a b' }, 'continuationToken'],
  ])('refuses %j naming %s', (params, field) => {
    expect(() => parse(params)).toThrow(expect.objectContaining({ field }));
  });
});

describe('the recording list names', () => {
  it('sort newest first and name their recording', () => {
    const older = recordingListEntryName('20260301101500', { callId: 'c1', recordingKey: '20260301T101500Z-0123abcd' });
    const newer = recordingListEntryName('20260301101501', { callId: 'c0', recordingKey: '20260301T101501Z-0123abcd' });
    expect([older, newer].sort()).toEqual([newer, older]);
    expect(recordingOfListEntry(older)).toEqual({
      callId: 'c1',
      recordingKey: '20260301T101500Z-0123abcd',
      listTime: '20260301101500',
    });
    expect(invertDigits('20260301')).toBe('79739698');
    expect(recordingOfListEntry('recording-list/x/c1/20260301T101500Z-0123abcd')).toBeNull();
  });
});

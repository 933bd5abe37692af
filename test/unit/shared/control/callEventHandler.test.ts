import { readFileSync } from 'node:fs';
import path from 'node:path';
import { handleCallEvents } from '../../../../shared/control/callEventHandler';
import type { RecordingControl } from '../../../../shared/control/recordingControl';
import { BadInputError, PermanentError, RetryableError } from '../../../../shared/errors';
import { parseEventEnvelopes } from '../../../../shared/events/envelope';
import { CapturedLog } from '../../../helpers/logs';
import { PADDED_SERVER_CALL_ID } from '../../../helpers/controlFixtures';
import { hasControlCharacters } from '../../../helpers/hostCalls';
import { ACS_PUBLIC } from '../../../helpers/paths';

/**
 * How one delivery's outcome is decided (pure routing; RecordingControl itself is tested against the emulator in
 * recordingControl.test.ts). The control here is a recorder of what it was asked, with scripted failures.
 */

type Control = Pick<RecordingControl, 'start' | 'stop' | 'applyCallback'>;

function recorder(fail: { start?: Error } = {}) {
  const calls: Array<[string, unknown]> = [];
  const view = { serverCallId: PADDED_SERVER_CALL_ID, recordingId: null, state: 'active' as const, updatedAt: 'now' };
  const control: Control = {
    start: (options) => {
      calls.push(['start', options]);
      return fail.start ? Promise.reject(fail.start) : Promise.resolve(view);
    },
    stop: (callKey, trigger) => {
      calls.push(['stop', { callKey, trigger }]);
      return Promise.resolve(undefined);
    },
    applyCallback: (ids, callback) => {
      calls.push(['applyCallback', { ids, callback }]);
      return Promise.resolve(undefined);
    },
  };
  return { control, calls };
}

const corpus = (file: string): unknown =>
  JSON.parse(readFileSync(path.join(ACS_PUBLIC, file), 'utf8').replaceAll('{serverCallId}', PADDED_SERVER_CALL_ID));
const cloudEvent = (type: string, data: object, id = 'e-1') => ({
  specversion: '1.0',
  id,
  source: 'calling/x',
  type,
  data,
});

describe('handleCallEvents', () => {
  it('starts on CallStarted and stops on CallEnded, by the serverCallId exactly as given', async () => {
    const { control, calls } = recorder();
    const envelopes = parseEventEnvelopes([
      corpus('eventgrid-examples/legacy.call_started.json'),
      corpus('eventgrid-examples/legacy.call_ended.json'),
    ]);
    await expect(handleCallEvents(envelopes, control, new CapturedLog())).resolves.toBeNull();
    expect(calls).toEqual([
      [
        'start',
        {
          locator: { kind: 'serverCallId', id: PADDED_SERVER_CALL_ID },
          callConnectionId: null,
          trigger: { source: 'event', name: 'CallStarted' },
          // The event's own time: a 404 to a start for a young event is retried (the call may not be known yet).
          eventTime: new Date('2021-09-22T17:02:38.6905856Z'),
        },
      ],
      ['stop', { callKey: PADDED_SERVER_CALL_ID, trigger: { source: 'event', name: 'CallEnded' } }],
    ]);
  });

  it('starts a CallConnected without serverCallId by its callConnectionId (Java SDK test payload)', async () => {
    const { control, calls } = recorder();
    await handleCallEvents(
      parseEventEnvelopes(corpus('sdk/java-callautomation.EVENT_CALL_CONNECTED.json')),
      control,
      new CapturedLog(),
    );
    expect(calls).toEqual([
      [
        'start',
        {
          locator: { kind: 'callConnectionId', id: '401f3500-62bd-46a9-8c09-9e1b06caca01' },
          callConnectionId: '401f3500-62bd-46a9-8c09-9e1b06caca01',
          trigger: { source: 'event', name: 'CallConnected' },
          eventTime: new Date('2022-08-12T03:35:07.8174402+00:00'),
        },
      ],
    ]);
  });

  it('only logs a CallDisconnected; it never stops, and asks nothing of recording control', async () => {
    const { control, calls } = recorder();
    const event = cloudEvent('Microsoft.Communication.CallDisconnected', {
      callConnectionId: 'conn-1',
      serverCallId: PADDED_SERVER_CALL_ID,
    });
    const log = new CapturedLog();
    await expect(handleCallEvents(parseEventEnvelopes(event), control, log)).resolves.toBeNull();
    expect(calls).toEqual([]);
    expect(log.text).toContain('a call connection left; the recording (if any) goes on');
  });

  it('answers 400 (returns the error) only for a delivery of one event that can never succeed', async () => {
    const { control, calls } = recorder();
    const bad = cloudEvent('Microsoft.Communication.CallStarted', { serverCallId: 'has space' });
    const alone = await handleCallEvents(parseEventEnvelopes(bad), control, new CapturedLog());
    expect(alone).toBeInstanceOf(BadInputError);
    const good = cloudEvent('Microsoft.Communication.CallStarted', { serverCallId: PADDED_SERVER_CALL_ID }, 'e-2');
    // In a batch the good event is acted on and the delivery succeeds (a 400 would drop the good one for good).
    await expect(handleCallEvents(parseEventEnvelopes([bad, good]), control, new CapturedLog())).resolves.toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('asks for a redelivery when anything transient failed, and not for a permanent failure', async () => {
    const transient = recorder({ start: new RetryableError('AcsUnavailable', 'ACS answered 503') });
    const event = cloudEvent('Microsoft.Communication.CallStarted', { serverCallId: PADDED_SERVER_CALL_ID });
    const outcome = await handleCallEvents(parseEventEnvelopes(event), transient.control, new CapturedLog());
    expect(outcome).toBeInstanceOf(RetryableError);
    const permanent = recorder({ start: new PermanentError('AcsBadRequest', 'ACS answered 400') });
    await expect(
      handleCallEvents(parseEventEnvelopes(event), permanent.control, new CapturedLog()),
    ).resolves.toBeNull();
  });

  it('takes the receipt time for an event without one (a CloudEvent may omit `time`)', async () => {
    const { control, calls } = recorder();
    const before = Date.now();
    const event = cloudEvent('Microsoft.Communication.CallStarted', { serverCallId: PADDED_SERVER_CALL_ID });
    await handleCallEvents(parseEventEnvelopes(event), control, new CapturedLog());
    const eventTime = (calls[0]![1] as { eventTime: Date }).eventTime;
    expect(eventTime.getTime()).toBeGreaterThanOrEqual(before);
    expect(eventTime.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('hands on a StartRecordingFailed without recordingId, with its result codes (never its text)', async () => {
    const { control, calls } = recorder();
    // Fields as the 2025-06-15 REST spec's StartRecordingFailed defines them; recordingId is optional there.
    const failed = cloudEvent('Microsoft.Communication.StartRecordingFailed', {
      callConnectionId: '401f3500-62bd-46a9-8c09-9e1b06caca01',
      serverCallId: PADDED_SERVER_CALL_ID,
      correlationId: 'd4f4c1be-59d8-4850-b9bf-ee564c15839d',
      resultInformation: { code: 500, subCode: 8500, message: 'not recorded' },
    });
    await handleCallEvents(parseEventEnvelopes(failed), control, new CapturedLog());
    expect(calls).toEqual([
      [
        'applyCallback',
        {
          ids: expect.objectContaining({ serverCallId: PADDED_SERVER_CALL_ID }),
          callback: {
            type: 'startFailed',
            recordingId: null,
            state: null,
            recordingKind: null,
            result: { code: 500, subCode: 8500 },
          },
        },
      ],
    ]);
  });

  it('acts only on the moments it is given (recordingState takes only state callbacks)', async () => {
    const { control, calls } = recorder();
    const envelopes = parseEventEnvelopes([
      cloudEvent('Microsoft.Communication.CallStarted', { serverCallId: PADDED_SERVER_CALL_ID }),
      cloudEvent('Microsoft.Communication.RecordingStateChanged', {
        serverCallId: PADDED_SERVER_CALL_ID,
        recordingId: 'cmVj+/==',
        state: 'inactive',
        recordingKind: 'azureCommunicationServices',
      }),
    ]);
    await handleCallEvents(envelopes, control, new CapturedLog(), { only: ['recordingState', 'startFailed'] });
    expect(calls).toEqual([
      [
        'applyCallback',
        {
          ids: expect.objectContaining({ serverCallId: PADDED_SERVER_CALL_ID }),
          callback: {
            type: 'stateChanged',
            recordingId: 'cmVj+/==',
            state: 'inactive',
            recordingKind: 'azureCommunicationServices',
          },
        },
      ],
    ]);
  });

  it('logs no control characters from event ids or reasons', async () => {
    const { control } = recorder();
    const log = new CapturedLog();
    const planted = cloudEvent(
      'Microsoft.Communication.CallStarted\u001b]0;pwned\u0007',
      { serverCallId: PADDED_SERVER_CALL_ID },
      'id\r\nRecordingStopped {"forged":true}\u001b[2J',
    );
    const bad = cloudEvent('Microsoft.Communication.CallStarted', { serverCallId: 'x\ny' }, 'evil\rid');
    await handleCallEvents(parseEventEnvelopes([planted, bad]), control, log);
    expect(log.lines.length).toBeGreaterThan(0);
    for (const line of log.lines) expect(hasControlCharacters(line.text)).toBe(false);
    expect(log.text).toContain('event id??RecordingStopped {"forged":true}?[2J');
  });
});

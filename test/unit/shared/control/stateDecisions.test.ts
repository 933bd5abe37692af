import { recordAfterAcsAnswer, recordingToAskAbout } from '../../../../shared/control/stateDecisions';
import { at, EXAMPLE_RECORDING_ID, inFlightRecord, recordWith } from '../../../helpers/controlFixtures';

// ACS's RecordingState has only `active` and `inactive` (2025-06-15 REST spec, RecordingState); a recording it no longer
// has answers 404 8522 "Recording not found." (test/fixtures/acs-public/sdk/js-callingserver.stopRecording.404-8522).

describe('recordingToAskAbout', () => {
  it('asks about a recording this app knows the id of, while it is active or paused here', () => {
    expect(recordingToAskAbout(recordWith({ state: 'active' }))).toBe(EXAMPLE_RECORDING_ID);
    expect(recordingToAskAbout(recordWith({ state: 'paused' }))).toBe(EXAMPLE_RECORDING_ID);
  });

  it('asks nothing of a recording starting, stopped or failed, without an id, or with a stop waiting', () => {
    for (const state of ['starting', 'stopped', 'failed'] as const) {
      expect(recordingToAskAbout(recordWith({ state }))).toBeNull();
    }
    expect(recordingToAskAbout(recordWith({ recordingId: null }))).toBeNull();
    expect(recordingToAskAbout(inFlightRecord())).toBeNull();
    const stopping = recordWith({ stopRequested: { at: at(1).toISOString(), trigger: 'CallEnded' } });
    expect(recordingToAskAbout(stopping)).toBeNull();
  });
});

describe('recordAfterAcsAnswer', () => {
  it('takes a 404 as stopped: ACS ended the recording with its call', () => {
    expect(recordAfterAcsAnswer(recordWith({ state: 'paused' }), EXAMPLE_RECORDING_ID, 'gone', at(9))).toMatchObject({
      state: 'stopped',
      reason: 'ACS no longer has the recording (404): it ended with its call',
      updatedAt: at(9).toISOString(),
    });
  });

  it('answers what ACS says: inactive after a pause is paused, active is active', () => {
    expect(recordAfterAcsAnswer(recordWith({ state: 'paused' }), EXAMPLE_RECORDING_ID, 'active', at(1))?.state).toBe(
      'active',
    );
    expect(recordAfterAcsAnswer(recordWith({ state: 'active' }), EXAMPLE_RECORDING_ID, 'inactive', at(1))?.state).toBe(
      'paused',
    );
  });

  it('writes nothing when ACS agrees, answers something it does not document, or names another recording', () => {
    expect(recordAfterAcsAnswer(recordWith({ state: 'paused' }), EXAMPLE_RECORDING_ID, 'inactive', at(1))).toBeNull();
    expect(recordAfterAcsAnswer(recordWith({ state: 'active' }), EXAMPLE_RECORDING_ID, 'unknown', at(1))).toBeNull();
    // The record moved on meanwhile (a new start): the answer is about a recording it no longer names.
    expect(recordAfterAcsAnswer(recordWith(), 'b2xkZXI+cmVjb3JkaW5n', 'gone', at(1))).toBeNull();
    expect(recordAfterAcsAnswer(recordWith({ state: 'stopped' }), EXAMPLE_RECORDING_ID, 'active', at(1))).toBeNull();
  });
});

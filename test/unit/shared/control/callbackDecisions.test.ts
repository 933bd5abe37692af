import {
  nextStateForCallback,
  recordAfterCallback,
  type StateCallback,
} from '../../../../shared/control/callbackDecisions';
import { claimFor, type StartRequest } from '../../../../shared/control/startDecisions';
import { at, EXAMPLE_RECORDING_ID, inFlightRecord, recordWith, timingAt } from '../../../helpers/controlFixtures';

const fromApi: StartRequest = {
  locator: recordWith().locator,
  callConnectionId: null,
  trigger: { source: 'api', name: 'API request' },
  dialect: 'calling',
};

// recordingKind values as the REST specification spells them (camelCase enum; PascalCase x-ms-enum values):
// Azure/azure-rest-api-specs .../CallAutomation/stable/2025-06-15/communicationservicescallautomation.json, RecordingKind.
const stateChanged = (state: string, overrides: Partial<StateCallback> = {}): StateCallback => ({
  type: 'stateChanged',
  recordingId: EXAMPLE_RECORDING_ID,
  state,
  recordingKind: 'azureCommunicationServices',
  ...overrides,
});

describe('nextStateForCallback', () => {
  it('moves the recording this app started: inactive is paused, active is active', () => {
    expect(nextStateForCallback(recordWith({ state: 'active' }), stateChanged('inactive'))).toEqual({
      kind: 'apply',
      state: 'paused',
    });
    expect(nextStateForCallback(recordWith({ state: 'paused' }), stateChanged('active'))).toEqual({
      kind: 'apply',
      state: 'active',
    });
  });

  it('accepts the recordingKind in either spelling the service uses', () => {
    const pascal = stateChanged('inactive', { recordingKind: 'AzureCommunicationServices' });
    expect(nextStateForCallback(recordWith(), pascal).kind).toBe('apply');
    expect(nextStateForCallback(recordWith(), stateChanged('inactive', { recordingKind: null })).kind).toBe('apply');
  });

  it.each([['teams'], ['teamsCompliance'], ['TeamsCompliance']])('ignores a %s recording', (recordingKind) => {
    expect(nextStateForCallback(recordWith(), stateChanged('inactive', { recordingKind }))).toEqual({
      kind: 'ignore',
      reason: 'the recording is of another kind',
    });
  });

  it('ignores a callback about another recording', () => {
    const other = stateChanged('inactive', { recordingId: 'b3RoZXItcmVjb3JkaW5n+/==' });
    expect(nextStateForCallback(recordWith(), other)).toEqual({
      kind: 'ignore',
      reason: 'the callback is about another recording',
    });
    expect(nextStateForCallback(recordWith(), stateChanged('inactive', { recordingId: null })).kind).toBe('ignore');
  });

  it('never learns a recordingId from a callback', () => {
    expect(nextStateForCallback(inFlightRecord(), stateChanged('active'))).toEqual({
      kind: 'ignore',
      reason: 'this app does not know its recording id yet (never learnt from a callback)',
    });
  });

  it('never moves a stopped recording, and ignores an unknown call', () => {
    expect(nextStateForCallback(recordWith({ state: 'stopped' }), stateChanged('active'))).toEqual({
      kind: 'ignore',
      reason: 'the recording is stopped',
    });
    expect(nextStateForCallback(undefined, stateChanged('active')).kind).toBe('ignore');
  });

  it('takes inactive before the recording was ever active as not recording yet (a 202 start), not paused', () => {
    expect(nextStateForCallback(recordWith({ state: 'starting' }), stateChanged('inactive'))).toEqual({
      kind: 'ignore',
      reason: 'no change',
    });
    expect(nextStateForCallback(recordWith({ state: 'starting' }), stateChanged('active'))).toEqual({
      kind: 'apply',
      state: 'active',
    });
  });

  it('marks the recording failed on a StartRecordingFailed that names it', () => {
    const failed: StateCallback = {
      type: 'startFailed',
      recordingId: EXAMPLE_RECORDING_ID,
      state: null,
      recordingKind: null,
    };
    expect(nextStateForCallback(recordWith({ state: 'starting' }), failed)).toEqual({ kind: 'apply', state: 'failed' });
    expect(nextStateForCallback(recordWith(), { ...failed, recordingId: 'b3RoZXI=' })).toEqual({
      kind: 'ignore',
      reason: 'the callback is about another recording',
    });
  });

  describe('a StartRecordingFailed without recordingId (optional in the GA schema)', () => {
    const withoutId: StateCallback = { type: 'startFailed', recordingId: null, state: null, recordingKind: null };

    it('fails a recording that is starting or active: the failure is about the call found by its id', () => {
      for (const record of [recordWith({ state: 'starting' }), recordWith({ state: 'active' }), inFlightRecord()]) {
        expect(nextStateForCallback(record, withoutId)).toEqual({ kind: 'apply', state: 'failed' });
      }
    });

    it('leaves a paused, failed or stopped recording alone', () => {
      expect(nextStateForCallback(recordWith({ state: 'paused' }), withoutId)).toEqual({
        kind: 'ignore',
        reason: 'the recording is paused, not starting or active',
      });
      expect(nextStateForCallback(recordWith({ state: 'failed' }), withoutId).kind).toBe('ignore');
      expect(nextStateForCallback(recordWith({ state: 'stopped' }), withoutId)).toEqual({
        kind: 'ignore',
        reason: 'the recording is stopped',
      });
    });

    it('makes the failure certain: the next start of the call is a new logical start', () => {
      const uncertain = recordWith({ state: 'starting', start: { ...recordWith().start!, uncertain: true } });
      const result = { code: 500, subCode: 8500 };
      const next = recordAfterCallback(uncertain, { ...withoutId, result }, 'failed', at(5));
      expect(next).toMatchObject({
        state: 'failed',
        reason: 'callback: StartRecordingFailed (code 500, subCode 8500)',
        start: { uncertain: false },
      });
      const claim = claimFor(next, fromApi, timingAt(6), () => '9b2e4c1d-5f6a-4b7c-8d9e-0f1a2b3c4d5e');
      expect(claim).toMatchObject({
        kind: 'claimed',
        record: { start: { requestId: '9b2e4c1d-5f6a-4b7c-8d9e-0f1a2b3c4d5e' } },
      });
    });
  });

  it('ignores a state ACS does not document', () => {
    expect(nextStateForCallback(recordWith(), stateChanged('paused'))).toEqual({
      kind: 'ignore',
      reason: 'the state is not one ACS documents',
    });
  });
});

import { nextStateForCallback, type StateCallback } from '../../../../shared/control/callbackDecisions';
import { EXAMPLE_RECORDING_ID, inFlightRecord, recordWith } from '../../../helpers/controlFixtures';

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
    expect(nextStateForCallback(recordWith(), { ...failed, recordingId: null }).kind).toBe('ignore');
  });

  it('ignores a state ACS does not document', () => {
    expect(nextStateForCallback(recordWith(), stateChanged('paused'))).toEqual({
      kind: 'ignore',
      reason: 'the state is not one ACS documents',
    });
  });
});

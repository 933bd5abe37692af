/** Incoming events parsed and validated into typed values (Event Grid, CloudEvents, the 2021 shapes). */

export { callMomentOf, type CallMoment } from './callEvents';
export {
  foreignSourceReason,
  isEventGridSystemEvent,
  parseEventEnvelopes,
  subscriptionValidationCode,
  toEventEnvelope,
  type EventEnvelope,
} from './envelope';
export { RECORDING_FILE_STATUS_UPDATED, planFromEvent, type RecordingPlan } from './recordingFileStatus';

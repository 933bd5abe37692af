/** A participant's data: their recordings (the index archive/ writes), export, erasure, legal hold. */

export { auditBlobName } from './auditLog';
export { erasureExitCode, type ErasureDecision, type ErasureRecord, type ErasureRecording } from './erasureDecisions';
export { exportParticipant, type ExportReport } from './exportParticipant';
export { directorySink, zipSink } from './exportSinks';
export { changeLegalHold, parseHoldTag } from './legalHold';
export { parseContinuationToken, parsePageSize, participantRecordingViews } from './participantRecordingViews';
export { participantStores } from './participantStores';
export { openErasures, planErasure, replanErasure, startErasure, type ErasureStores } from './planErasure';
export { rebuildParticipantIndex } from './rebuildIndex';
export { runErasure } from './runErasure';

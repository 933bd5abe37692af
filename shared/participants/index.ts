/** A participant's data: their recordings (the index archive/ writes), export, erasure, legal hold. */

export { auditRecordPrefix, legacyAuditBlobName } from './auditLog';
export { erasureExitCode, type ErasureDecision, type ErasureRecord, type ErasureRecording } from './erasureDecisions';
export { exportParticipant, type ExportReport } from './exportParticipant';
export { directorySink, zipSink } from './exportSinks';
export { changeLegalHold, parseHoldTag, readHoldTags } from './legalHold';
export { parseContinuationToken, parsePageSize, participantRecordingViews } from './participantRecordingViews';
export { auditedStores, participantStores } from './participantStores';
export { openErasures, planErasure, replanErasure, startErasure, type ErasureStores } from './planErasure';
export { participantRecordingsPage } from './participantIndex';
export { rebuildParticipantIndex } from './rebuildIndex';
export { runErasure } from './runErasure';

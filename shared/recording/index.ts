/** The vocabulary: names of blobs and keys, server call ids, participant ids, what identifies a recording. */

export { checkRecordingRef, type ChunkRef, type RecordingFields, type RecordingRef } from './identity';
export {
  LEGACY_PENDING_PREFIX,
  MAX_CHUNK_INDEX,
  PARTICIPANTS_PREFIX,
  PENDING_PREFIX,
  chunkBlobName,
  chunkLeaseName,
  chunkLeasePrefix,
  chunkMetadataBlobName,
  erasedMarkerName,
  formatFor,
  formatOfBlobName,
  isRecordingKey,
  isSafeDocumentId,
  isSafeToken,
  manifestBlobName,
  mimeTypeFor,
  participantMarkerName,
  participantPrefix,
  pendingMarkerName,
  recordingFolder,
  recordingKeyFor,
  rejectedBlobName,
  type MediaFormat,
} from './naming';
export {
  canonicalParticipantId,
  isParticipantHash,
  legacyParticipantHash,
  parseParticipantId,
  participantHash,
  participantIdProblem,
  participantMarkerHashes,
} from './participantId';
export {
  callIdFromRouteValue,
  isPrintableAscii,
  parseServerCallId,
  serverCallIdFromConversationUrl,
} from './serverCallId';

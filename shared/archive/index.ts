/**
 * The archive, in the order the data takes it:
 *   ingest.ts          a RecordingFileStatusUpdated event -> the manifest (the intent) -> one queue message per chunk
 *   chunkQueue.ts      the Storage queue of chunk copies ({callId, recordingKey, index}, never a location)
 *   copyChunk.ts       one message -> copy/ (the streaming hot path) -> a verified blob -> the manifest
 *   settle.ts          the recording complete (or failed) once its last chunk is settled
 *   sweep.ts           the timer: near-deadline reports, re-enqueues, past-deadline failures
 * manifest/ holds the record of truth (its pure decisions, its store, the pending markers); participantIndex.ts the
 * write side of the participant index; inPlace/ verifies a bring-your-own-storage chunk where ACS wrote it instead of
 * copying it.
 */

export {
  archiveServicesForProcess,
  createArchiveServices,
  ensureContainers,
  type ArchiveServices,
} from './archiveServices';
export { ingestEvent } from './ingest';
export { parseChunkMessage, type ChunkMessage } from './chunkQueue';
export { copyChunk } from './copyChunk';
export { sweep } from './sweep';
export { ArchiveStore } from './manifest/archiveStore';
export { missingIndices, type Manifest, type ManifestChunk, type ManifestStatus } from './manifest/manifest';
export { isNearDeadline, isPastDeadline, markEnqueued, markForRetry } from './manifest/marks';
export { indexParticipants } from './participantIndex';
export { participantsFromMetadata } from './participantsFromMetadata';
export { customerBlobClient } from './inPlace/customerContainer';
export type { ChunkLocation } from './manifest/inPlaceFields';
export {
  RECORDING_LIST_PREFIX,
  indexRecordingForListing,
  invertDigits,
  recordingOfListEntry,
  serverCallListPrefix,
} from './recordingList';

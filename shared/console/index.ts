/** The archive console's API: who may use it, the recordings list, one recording's page, playback, verification. */

export { consoleCaller, readConsoleAuth, requireRole, type ConsoleCaller, type ConsoleRole } from './access';
export { requestOrigin, type AccessRecord } from './accessLog';
export { parseListQuery, type ListQuery } from './listQuery';
export { listRecordings, type RecordingListPage, type RecordingRow } from './listRecordings';
export { SAS_LIFETIME_MS, readOnlyBlobUrl } from './readOnlySas';
export {
  inspectRecording,
  playChunk,
  rawRecordingFile,
  recordingAccessLog,
  verifyChunk,
  type ConsoleRequest,
  type ConsoleStores,
} from './recordingActions';
export { consoleStores } from './consoleStores';
export { backfillRecordingList } from './backfill';
export { consoleAsset } from './assets';

/** The ACS protocol: request signing, the recording control client (both dialects), signed allow-listed downloads. */

export { chunkLocationRefusal } from './allowList';
export { createAcsAuthenticator } from './auth';
export {
  AcsNotFoundError,
  AcsUnavailableError,
  createControlClient,
  type CallLocator,
  type RecordingControlClient,
  type StartRecordingResult,
} from './controlClient';
export {
  AccessDeniedError,
  DeleteRefusedError,
  SourceClient,
  SourceExpiredError,
  redactUrl,
  type OpenedDownload,
  discard,
  errorCode,
} from './download';

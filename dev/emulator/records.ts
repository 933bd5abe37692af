/** The data shapes the emulator hands to tests: recording files, faults, the request and delivery logs, calls. */

export interface RecordingFilesSpec {
  callId?: string;
  serverCallId?: string;
  /** Generated when absent: opaque, with '=', '+' and '/' in it. */
  recordingId?: string;
  /** Default 1. */
  chunks?: number | Array<{ size?: number; media?: 'mp4' | 'mp3' | 'wav' | 'synthetic'; endReason?: string }>;
  /** Also sets recordingContentType/ChannelType/FormatType in the event; default mp4. */
  format?: 'mp4' | 'mp3' | 'wav';
  /** Synthetic size per chunk when `chunks` is a number. */
  chunkSize?: number;
  /** Deterministic bytes. */
  seed?: string;
  participants?: string[];
  recordingStartTime?: string;
  /** Written into every chunk's metadata (ACS lists the pauses of the recording). */
  pauseResumeIntervals?: Array<{ startTime: string; duration: number }>;
  /**
   * 'unmixed' gives each participant a channel in the metadata (and, for real WAV media, a WAV with one channel per
   * participant); default 'mixed'.
   */
  channelType?: 'mixed' | 'unmixed';
  /** `recordingInfo.format` of the metadata files; default the format; null leaves it out (a file that names none). */
  metadataFormat?: string | null;
}

export interface RecordingChunk {
  index: number;
  documentId: string;
  endReason: string;
  contentLocation: string;
  metadataLocation: string;
  deleteLocation: string;
  size: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
  /** The metadata JSON bytes. */
  metadata: Buffer;
  metadataSha256: string;
  /** MIME type of the content. */
  contentType: string;
  /** ETag of the content's first version (see `changeVersion`). */
  etag: string;
}

export interface RecordingFiles {
  callId: string;
  serverCallId: string;
  recordingId: string;
  recordingStartTime: string;
  recordingDurationMs: number;
  contentType: string;
  channelType: string;
  formatType: string;
  chunks: RecordingChunk[];
  /** Bring your own storage: the blobs written into the customer's container for each chunk, once written. */
  customerBlobs?: CustomerBlobs[];
}

/** One chunk's files in the customer's container (blob names in that container). */
export interface CustomerBlobs {
  index: number;
  documentId: string;
  content: string;
  metadata: string;
}

/** A version of a document's content: what `changeVersion` made it, from the next request on. */
export interface DocumentVersion {
  documentId: string;
  /** 1 for the content the document was created with. */
  version: number;
  /** The quoted ETag every response for this version carries. */
  etag: string;
  size: number;
  sha256: string;
}

type FaultTarget = { target?: 'content' | 'metadata'; times?: number };
export type Fault = FaultTarget &
  (
    | { kind: 'reset'; afterBytes: number }
    | {
        kind: 'status';
        status: number;
        retryAfterSeconds?: number;
        /** Retry-After as an HTTP-date (RFC 9110), e.g. `new Date(...).toUTCString()`. */
        retryAfterDate?: string;
        /**
         * 'error': the service's JSON error shape (default); 'empty': no body (the recorded 401, and the default with
         * recorded answers); 'problem': `application/problem+json` as the store sent it (Azure/azure-sdk-for-js#26142).
         */
        body?: 'error' | 'empty' | 'problem';
      }
    | { kind: 'html'; status?: number }
    | { kind: 'empty' }
    | { kind: 'redirect'; location?: string }
    | { kind: 'trickle'; bytesPerSecond: number }
    /**
     * The body sent chunked without Content-Length (and without Content-Range unless `contentRange`), as a proxy may
     * send it; `resetAfterBytes` cuts the connection mid-body, before the chunked message ends.
     */
    | { kind: 'chunked'; contentRange?: boolean; resetAfterBytes?: number }
  );

/** A recording control operation (what `setControlFault({operation})` aims at). */
export type ControlOperation = 'start' | 'state' | 'pause' | 'resume' | 'stop';

export interface ControlFault {
  status: number;
  code?: string;
  message?: string;
  /** Default 1. */
  times?: number;
  retryAfterSeconds?: number;
  /** The Retry-After header as given (an HTTP-date, RFC 9110 section 10.2.3); wins over retryAfterSeconds. */
  retryAfter?: string;
  /** The body to answer, exactly (a published one), instead of the error made of code and message. */
  body?: unknown;
  /** Only requests of this operation take the fault; default any. */
  operation?: ControlOperation;
}

export interface RequestLogEntry {
  port: 'endpoint' | 'storage' | 'regional';
  method: string;
  /** Path and query. */
  path: string;
  range?: string;
  status: number;
  bytesSent: number;
  /** The request was allowed: it passed authentication, or its route needs none (OpenID configuration, keys). */
  authorized: boolean;
  /** The scheme of its Authorization header (never the credential itself). */
  auth: 'hmac' | 'bearer' | 'none' | 'other';
  /** Why authentication refused it (the 401 reason). */
  authFailure?: string;
  xMsHost?: string;
  repeatabilityRequestId?: string;
  repeatabilityFirstSent?: string;
  /** The ETag a download answered with. */
  etag?: string;
  /** Control requests: the call the request is about (from the start body, the 2021 path, or the recording). */
  serverCallId?: string;
  /** Control requests: the recording in the path, percent-decoded. */
  recordingId?: string;
}

export interface SimulatedCall {
  serverCallId: string;
  callId: string;
  participants: string[];
  /** The call connection id of each leg (`CallConnected.data.callConnectionId`). */
  legs: string[];
  startedAt: string;
}

export interface EmulatedRecording {
  recordingId: string;
  serverCallId: string;
  dialect: 'calling' | 'conversations';
  /** 'starting' between a 202 start and the moment it becomes active (GA shows it as `inactive`). */
  state: 'starting' | 'active' | 'paused' | 'stopped';
  startRequests: number;
  recordingStateCallbackUri?: string;
  /** Set when the start named the call by `callConnectionId` instead of a `callLocator`. */
  callConnectionId?: string;
  contentType: 'audio' | 'audioVideo';
  channelType: 'mixed' | 'unmixed';
  format: 'mp4' | 'mp3' | 'wav';
  startedAt: string;
  stoppedAt?: string;
  /** Set when the recording ended with StartRecordingFailed instead of starting. */
  failed?: boolean;
  /** Bring your own storage: the start's `externalStorage`, as the REST spec's ExternalStorage names it. */
  externalStorage?: { recordingStorageKind: string; recordingDestinationContainerUrl?: string };
  /** Pauses so far (the open one, if paused, has no duration yet). */
  pauseResumeIntervals: Array<{ startTime: string; duration?: number }>;
  files?: RecordingFiles;
}

export interface WebhookValidation {
  ok: boolean;
  status: number;
  /** What was wrong, when not ok. */
  problem?: string;
}

export interface DeliveryLogEntry {
  url: string;
  eventType: string;
  eventId: string;
  attempts: number;
  statuses: Array<number | string>;
  delivered: boolean;
  /** 'eventGrid' for system events, 'callback' for signed Call Automation callbacks. */
  channel: 'eventGrid' | 'callback';
}

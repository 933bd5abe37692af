/** The emulator's public shapes (see index.ts for the entry point). */

export interface EmulatorOptions {
  /** Control API + 2021 download paths (default: a free port; local development uses 8443). */
  port?: number;
  /** GA storage host (content, metadata and delete locations). */
  storagePort?: number;
  /** Target of 302 redirects. */
  regionalPort?: number;
  /** Base64 access key; default EMULATOR_ACCESS_KEY. */
  accessKey?: string;
  /** Documents answer 404 this long after creation; default 86400. */
  retentionSeconds?: number;
  /** Clock-skew window of HMAC verification; default 5 minutes. */
  maxClockSkewSeconds?: number;
  /** Where emitted events are POSTed. */
  webhooks?: { recordingFiles?: string[]; callEvents?: string[] };
  /** Default EventGrid. */
  eventSchema?: 'EventGrid' | 'CloudEvents';
  /** Shape of the RecordingFileStatusUpdated emitted; default 'ga'. */
  eventForm?: 'ga' | '2021';
  /** Event Grid-like retry on non-2xx, compressed; default [100, 500, 2000]. */
  deliveryRetryDelaysMs?: number[];
  /** How long one delivery attempt may take before it counts as failed (Event Grid: 30 s); default 30000. */
  deliveryTimeoutMs?: number;
  /** A simulated recording longer than this is split into several chunks. */
  maxChunkBytes?: number;
  log?: (line: string) => void;
}

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
  /** 'unmixed' gives each participant a channel in the metadata; default 'mixed'. */
  channelType?: 'mixed' | 'unmixed';
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
}

type FaultTarget = { target?: 'content' | 'metadata'; times?: number };
export type Fault = FaultTarget &
  (
    | { kind: 'reset'; afterBytes: number }
    | { kind: 'status'; status: number; retryAfterSeconds?: number }
    | { kind: 'html'; status?: number }
    | { kind: 'empty' }
    | { kind: 'redirect' }
    | { kind: 'trickle'; bytesPerSecond: number }
  );

export interface RequestLogEntry {
  port: 'endpoint' | 'storage' | 'regional';
  method: string;
  /** Path and query. */
  path: string;
  range?: string;
  status: number;
  bytesSent: number;
  authorized: boolean;
  xMsHost?: string;
}

export interface SimulatedCall {
  serverCallId: string;
  callId: string;
  participants: string[];
  legs: string[];
  startedAt: string;
}

export interface EmulatedRecording {
  recordingId: string;
  serverCallId: string;
  dialect: 'calling' | 'conversations';
  state: 'active' | 'paused' | 'stopped';
  startRequests: number;
  recordingStateCallbackUri?: string;
  contentType: 'audio' | 'audioVideo';
  channelType: 'mixed' | 'unmixed';
  format: 'mp4' | 'mp3' | 'wav';
  startedAt: string;
  stoppedAt?: string;
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
}

export interface AcsEmulator {
  endpoint: string;
  connectionString: string;
  storageOrigin: string;
  regionalOrigin: string;
  createRecordingFiles(spec: RecordingFilesSpec): Promise<RecordingFiles>;
  recordingFileStatusEvent(
    files: RecordingFiles,
    opts?: { schema?: 'EventGrid' | 'CloudEvents'; form?: 'ga' | '2021'; chunkIndices?: number[]; id?: string },
  ): object;
  setFault(documentId: string, fault: Fault): void;
  clearFaults(documentId?: string): void;
  expire(documentId: string): void;
  readonly requests: RequestLogEntry[];
  clearRequests(): void;
  readonly deletedDocuments: string[];
  startCall(opts?: { serverCallId?: string; participants?: string[]; legs?: number }): Promise<SimulatedCall>;
  endCall(serverCallId: string): Promise<void>;
  readonly recordings: ReadonlyMap<string, EmulatedRecording>;
  setControlFault(fault: {
    status: number;
    code?: string;
    message?: string;
    times?: number;
    retryAfterSeconds?: number;
  }): void;
  /**
   * The handshake Event Grid makes when a subscription is created: a SubscriptionValidationEvent POST (Event Grid
   * schema) or an OPTIONS with WebHook-Request-Origin (CloudEvents). `ok` when the webhook answered as required.
   */
  validateWebhook(url: string, schema?: 'EventGrid' | 'CloudEvents'): Promise<WebhookValidation>;
  readonly deliveries: DeliveryLogEntry[];
  /** Resolves when every emitted event has been delivered or has run out of retries. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

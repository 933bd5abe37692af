import type {
  ControlFault,
  CustomerBlobs,
  DeliveryLogEntry,
  DocumentVersion,
  EmulatedRecording,
  Fault,
  RecordingFiles,
  RecordingFilesSpec,
  RequestLogEntry,
  SimulatedCall,
  WebhookValidation,
} from './records';

/** The emulator's public shapes (see index.ts for the entry point). */

export type * from './records';

export type EventSchema = 'EventGrid' | 'CloudEvents';

/**
 * The shape of the RecordingFileStatusUpdated emitted: 'ga' (locations, content/channel/format types), '2021'
 * (documentIds only), 'byos' (a recording exported to the customer's storage: `data.storageType`, `data.recordingId`,
 * no `/recordingId/` in the subject, no format fields, as Learn's bring-your-own-storage quickstart documents it).
 */
export type EventForm = 'ga' | '2021' | 'byos';

/**
 * How the storage hosts frame their answers: 'emulator' (ETags, typed content, JSON errors) or 'recorded', as
 * Microsoft's recorded SDK tests show the real store (a full GET is 200 with Content-Range, Content-Length and
 * `application/octet-stream`, metadata too, and no ETag; errors have empty bodies).
 */
export type StorageAnswers = 'emulator' | 'recorded';

export interface EmulatorOptions {
  /** Control API + 2021 download paths + OpenID configuration (default: a free port; local development uses 8443). */
  port?: number;
  /** GA storage host (content, metadata and delete locations). */
  storagePort?: number;
  /** Target of 302 redirects. */
  regionalPort?: number;
  /** Base64 access key; default EMULATOR_ACCESS_KEY. */
  accessKey?: string;
  /** Bearer tokens (Entra mode) the emulator accepts; default none, so every bearer token gets 401. */
  entraTokens?: string[];
  /** The ARM id of the emulated resource: `topic` / CloudEvents `source` of its Event Grid events. */
  resourceId?: string;
  /** The resource's immutable id: the audience of the JWTs that sign Call Automation callbacks. */
  immutableResourceId?: string;
  /** How `newServerCallId` encodes its conversation URL: 'base64' (default; padded, with '+' and '/') or 'base64url'. */
  serverCallIdStyle?: 'base64' | 'base64url';
  /** Documents answer 404 this long after creation; default 86400. */
  retentionSeconds?: number;
  /** Clock-skew window of HMAC verification; default 5 minutes. */
  maxClockSkewSeconds?: number;
  /** Where emitted events are POSTed. */
  webhooks?: { recordingFiles?: string[]; callEvents?: string[] };
  /** Default EventGrid. */
  eventSchema?: EventSchema;
  /** Shape of the RecordingFileStatusUpdated emitted; default 'ga'. */
  eventForm?: EventForm;
  /** Default 'emulator'. */
  storageAnswers?: StorageAnswers;
  /**
   * What a call sends to `webhooks.callEvents`: 'system' = Event Grid's CallStarted/CallEnded, 'callAutomation' =
   * signed CallConnected/CallDisconnected callbacks. Default: 'system' with the EventGrid schema, 'callAutomation'
   * with CloudEvents. The 2021 form always sends CallLegStateChanged.
   */
  callEvents?: 'system' | 'callAutomation';
  /** Event Grid-like retry on non-2xx, compressed; default [100, 500, 2000]. */
  deliveryRetryDelaysMs?: number[];
  /** How long one delivery attempt may take before it counts as failed (Event Grid: 30 s); default 30000. */
  deliveryTimeoutMs?: number;
  /** A simulated recording longer than this is split into several chunks. */
  maxChunkBytes?: number;
  /**
   * Bring your own storage: the Blob Storage (Azurite) the emulator writes a recording into when its start named a
   * container of this account in `externalStorage`, before it announces the files; a start naming any other container
   * gets its files in the store only, as an export ACS cannot make.
   */
  customerStorage?: { connectionString: string };
  /** Time for retention, rate limits, trickles and start delays; default the real one (tests pass a virtual clock). */
  clock?: EmulatorClock;
  log?: (line: string) => void;
}

export interface EmulatorClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** How the GA start answers (the 2025-06-15 REST spec documents both 200 and 202). */
export interface StartResponse {
  /** Default 200. */
  status?: 200 | 202;
  /** `recordingState` in the answer; default 'active' (always 'inactive' with pauseOnStart). */
  state?: 'active' | 'inactive';
  /**
   * What follows an 'inactive' start: 'active' (default: the recording becomes active after `afterMs` and a
   * RecordingStateChanged says so), 'failed' (a StartRecordingFailed callback; the recording is gone) or 'stay'.
   */
  then?: 'active' | 'failed' | 'stay';
  /** Default 0. */
  afterMs?: number;
  /** With then: 'failed', the StartRecordingFailed carries no recordingId (it is optional in the GA schema). */
  failureWithoutRecordingId?: boolean;
  /** How many starts answer this way; default every start until changed. */
  times?: number;
}

/** What the emulator puts in `Authorization` of the Call Automation callbacks it POSTs. */
export type CallbackAuthMode = 'valid' | 'none' | 'expired' | 'foreignKey' | 'wrongAudience';

export interface CallbackTokenOptions {
  /** Default the emulator's immutableResourceId. */
  audience?: string;
  /** Lifetime from `issuedAt`; default 300 (Microsoft documents five minutes). Negative gives an expired token. */
  expiresInSeconds?: number;
  /** Default now (for a negative lifetime: five minutes before expiry). */
  issuedAt?: Date;
  /** Signs with a key that is not in the JWKS (the header still names the published kid unless `kid` is given). */
  foreignKey?: boolean;
  kid?: string;
}

export interface StartCallOptions {
  serverCallId?: string;
  participants?: string[];
  legs?: number;
  /** CallConnected without `data.serverCallId` (optional in the GA schema): the app must start by callConnectionId. */
  omitServerCallIdInCallConnected?: boolean;
  /** The call connection ids of the legs (e.g. those of a published payload); default `legs` random ones. */
  callConnectionIds?: string[];
}

export interface AcsEmulator {
  endpoint: string;
  connectionString: string;
  storageOrigin: string;
  regionalOrigin: string;
  /** The ARM id in `topic` / `source` of Event Grid events. */
  readonly resourceId: string;
  /** The audience of callback JWTs. */
  readonly immutableResourceId: string;
  /** `{endpoint}calling/.well-known/acsopenidconfiguration`: issuer and jwks_uri of the callback JWTs. */
  readonly openIdConfigUrl: string;
  createRecordingFiles(spec: RecordingFilesSpec): Promise<RecordingFiles>;
  recordingFileStatusEvent(
    files: RecordingFiles,
    opts?: {
      schema?: EventSchema;
      form?: EventForm;
      chunkIndices?: number[];
      id?: string;
      /** false: GA form without recordingContentType/ChannelType/FormatType, as Learn's sample event. */
      formatFields?: boolean;
      /** null: a CloudEvent without `time` (optional in CloudEvents 1.0), as replays from a dead-letter blob. */
      time?: string | null;
    },
  ): object;
  setFault(documentId: string, fault: Fault): void;
  clearFaults(documentId?: string): void;
  /** The document is gone: 404 from now on, or 410 Gone. */
  expire(documentId: string, opts?: { status?: 404 | 410 }): void;
  setStorageAnswers(answers: StorageAnswers): void;
  /**
   * The document's content becomes a new version (new bytes, size and ETag; size default: 4 KiB more) from the next
   * content request on, or after `afterRequests` more content requests answered with the current one.
   */
  changeVersion(documentId: string, opts?: { size?: number; afterRequests?: number }): Promise<DocumentVersion>;
  /**
   * Writes the files of a recording into a customer's container as ACS does for bring your own storage (Learn's
   * folder structure; `customerStorage` must hold that container); returns the blob names, also kept in
   * `files.customerBlobs`.
   */
  writeCustomerFiles(files: RecordingFiles, containerUrl: string): Promise<CustomerBlobs[]>;
  /**
   * Where events go from now on (an Event Grid subscription made after the resource): for a webhook whose URL is known
   * only once the emulator runs (a Functions host configured with the emulator's connection string).
   */
  setWebhooks(webhooks: { recordingFiles?: string[]; callEvents?: string[] }): void;
  /** Caps the bytes per second of all downloads of a document together; undefined or 0 lifts the cap. */
  setRateLimit(documentId: string, bytesPerSecond: number | undefined): void;
  readonly requests: RequestLogEntry[];
  clearRequests(): void;
  readonly deletedDocuments: string[];
  startCall(opts?: StartCallOptions): Promise<SimulatedCall>;
  endCall(serverCallId: string): Promise<void>;
  /** This call connection leaves the call (CallDisconnected); the call and its recording go on. */
  hangUp(callConnectionId: string): void;
  readonly recordings: ReadonlyMap<string, EmulatedRecording>;
  setControlFault(fault: ControlFault): void;
  clearControlFaults(): void;
  /** How the next GA starts answer; no argument restores the default (200, active). */
  setStartResponse(response?: StartResponse): void;
  /** Every start (both dialects) is answered this long after it was carried out. */
  setStartDelay(ms: number): void;
  /** Also accept this bearer token. */
  addEntraToken(token: string): void;
  /** A Call Automation callback JWT; valid for this emulator's OpenID configuration unless told otherwise. */
  callbackToken(opts?: CallbackTokenOptions): string;
  setCallbackAuth(mode: CallbackAuthMode): void;
  /**
   * The handshake Event Grid makes when a subscription is created: a SubscriptionValidationEvent POST (Event Grid
   * schema) or an OPTIONS with WebHook-Request-Origin (CloudEvents). `ok` when the webhook answered as required.
   */
  validateWebhook(url: string, schema?: EventSchema): Promise<WebhookValidation>;
  readonly deliveries: DeliveryLogEntry[];
  /** Resolves when every emitted event has been delivered or has run out of retries. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

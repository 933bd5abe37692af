import { randomUUID } from 'node:crypto';
import { DocumentStore } from './documentStore';
import { ControlFaultQueue, FaultQueue } from './faults';
import { RateLimiter } from './rateLimiter';
import type { EmulatedRecording, RequestLogEntry, SimulatedCall } from './records';
import type {
  CallbackAuthMode,
  EmulatorClock,
  EmulatorOptions,
  EventForm,
  EventSchema,
  StartResponse,
  StorageAnswers,
} from './types';

/**
 * Everything the emulator's servers share, and nothing else: settings, documents, calls, recordings, faults, the
 * request log. Servers and the control API read and change it; none of them knows the others.
 */

/** Base64 access key of the emulator (also in local.settings.sample.json). */
export const EMULATOR_ACCESS_KEY = 'Y2FsbC1yZWNvcmRpbmctYXJjaGl2ZXItZW11bGF0b3Ita2V5IQ==';

/** Default ARM id (Microsoft's samples spell it `.../Microsoft.Communication/communicationServices/NAME`). */
export const EMULATOR_RESOURCE_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.Communication/communicationServices/acs-emulator';

/** Default immutable resource id (a fixed GUID, like the one the portal shows under Properties). */
export const EMULATOR_IMMUTABLE_RESOURCE_ID = '6d6f636b-6163-7365-6d75-6c61746f7221';

export const REAL_CLOCK: EmulatorClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface CallState extends SimulatedCall {
  ended: boolean;
  omitServerCallIdInCallConnected: boolean;
  /** Legs whose Call Automation connection has left (CallDisconnected sent). */
  hungUp: Set<string>;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface Settings {
  accessKey: Buffer;
  entraTokens: Set<string>;
  resourceId: string;
  immutableResourceId: string;
  serverCallIdStyle: 'base64' | 'base64url';
  retentionMs: number;
  maxClockSkewMs: number;
  webhooks: { recordingFiles: string[]; callEvents: string[] };
  eventSchema: EventSchema;
  eventForm: EventForm;
  callEvents: 'system' | 'callAutomation';
  maxChunkBytes?: number;
  /** Where recordings started with `externalStorage` are written (customerStorage.ts). */
  customerStorageConnectionString?: string;
}

export interface Addresses {
  /** `127.0.0.1:PORT`, what HMAC signatures name as host. */
  endpointHost: string;
  /** `http://127.0.0.1:PORT/`. */
  endpoint: string;
  storageOrigin: string;
  regionalOrigin: string;
}

export class EmulatorState {
  readonly settings: Settings;
  readonly clock: EmulatorClock;
  readonly documents: DocumentStore;
  readonly faults = new FaultQueue();
  readonly controlFaults = new ControlFaultQueue();
  readonly rateLimits = new Map<string, RateLimiter>();
  readonly calls = new Map<string, CallState>();
  readonly recordings = new Map<string, EmulatedRecording>();
  /** Answers already given, by Repeatability-Request-ID. */
  readonly repeatability = new Map<string, StoredResponse>();
  readonly requests: RequestLogEntry[] = [];
  readonly deletedDocuments: string[] = [];
  addresses: Addresses = { endpointHost: '', endpoint: '', storageOrigin: '', regionalOrigin: '' };
  startResponse: (StartResponse & { remaining: number }) | undefined;
  startDelayMs = 0;
  callbackAuth: CallbackAuthMode = 'valid';
  storageAnswers: StorageAnswers;

  constructor(private readonly options: EmulatorOptions) {
    const schema = options.eventSchema ?? 'EventGrid';
    this.settings = {
      accessKey: Buffer.from(options.accessKey ?? EMULATOR_ACCESS_KEY, 'base64'),
      entraTokens: new Set(options.entraTokens ?? []),
      resourceId: options.resourceId ?? EMULATOR_RESOURCE_ID,
      immutableResourceId: options.immutableResourceId ?? EMULATOR_IMMUTABLE_RESOURCE_ID,
      serverCallIdStyle: options.serverCallIdStyle ?? 'base64',
      retentionMs: (options.retentionSeconds ?? 86400) * 1000,
      maxClockSkewMs: (options.maxClockSkewSeconds ?? 300) * 1000,
      webhooks: {
        recordingFiles: options.webhooks?.recordingFiles ?? [],
        callEvents: options.webhooks?.callEvents ?? [],
      },
      eventSchema: schema,
      eventForm: options.eventForm ?? 'ga',
      callEvents: options.callEvents ?? (schema === 'CloudEvents' ? 'callAutomation' : 'system'),
      ...(options.maxChunkBytes !== undefined ? { maxChunkBytes: options.maxChunkBytes } : {}),
      ...(options.customerStorage ? { customerStorageConnectionString: options.customerStorage.connectionString } : {}),
    };
    this.storageAnswers = options.storageAnswers ?? 'emulator';
    this.clock = options.clock ?? REAL_CLOCK;
    this.documents = new DocumentStore(this.settings.retentionMs, this.clock);
  }

  log(line: string): void {
    this.options.log?.(`[acs-emulator] ${line}`);
  }

  /** Remembers a call (also one the emulator never announced: a start for an unknown serverCallId registers it). */
  registerCall(
    serverCallId: string,
    participants: string[],
    legs: number | readonly string[],
    omitServerCallIdInCallConnected = false,
  ): CallState {
    const call: CallState = {
      serverCallId,
      callId: randomUUID(),
      participants,
      legs: typeof legs === 'number' ? Array.from({ length: Math.max(1, legs) }, () => randomUUID()) : [...legs],
      startedAt: new Date().toISOString(),
      ended: false,
      omitServerCallIdInCallConnected,
      hungUp: new Set(),
    };
    this.calls.set(serverCallId, call);
    return call;
  }

  /** The call a call connection (a leg's callConnectionId) belongs to. */
  callOfConnection(callConnectionId: string): CallState | undefined {
    return [...this.calls.values()].find((c) => c.legs.includes(callConnectionId));
  }

  /** The start answer to use now, counting one use of a limited one. */
  takeStartResponse(): StartResponse | undefined {
    const response = this.startResponse;
    if (response && --response.remaining <= 0) this.startResponse = undefined;
    return response;
  }
}

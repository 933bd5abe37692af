import { AdminApi } from './adminApi';
import { CallbackSigner, OPENID_CONFIG_PATH } from './callbackSigner';
import { endCall, hangUp, startCall } from './calls';
import { ControlApi } from './controlApi';
import { endpointHandler } from './endpointServer';
import { EventDelivery } from './eventDelivery';
import { recordingFileStatusEvent } from './eventShapes';
import { listen, type Handler, type RunningServer } from './httpServer';
import { RateLimiter } from './rateLimiter';
import { createRecordingFiles } from './recordingFiles';
import { writeCustomerFiles } from './customerStorage';
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
import { EmulatorState } from './state';
import { storageHandler } from './storageServer';
import type {
  AcsEmulator,
  CallbackAuthMode,
  CallbackTokenOptions,
  EmulatorOptions,
  EventSchema,
  StartCallOptions,
  StartResponse,
  StorageAnswers,
} from './types';

/**
 * Puts the emulator together: one shared state, three servers over it (endpoint, storage, regional), the event
 * delivery they emit through, and the callback signer. This class only wires and delegates: tests talk to it, the
 * servers never see it.
 */
export class Emulator implements AcsEmulator {
  private readonly state: EmulatorState;
  private readonly events: EventDelivery;
  private readonly signer: CallbackSigner;
  private readonly servers: RunningServer[] = [];

  constructor(options: EmulatorOptions) {
    const state = new EmulatorState(options);
    const signer = new CallbackSigner(
      () => state.addresses.endpoint.replace(/\/$/, ''),
      state.settings.immutableResourceId,
    );
    this.state = state;
    this.signer = signer;
    this.events = new EventDelivery({
      retryDelaysMs: options.deliveryRetryDelaysMs ?? [100, 500, 2000],
      attemptTimeoutMs: options.deliveryTimeoutMs ?? 30_000,
      topic: state.settings.resourceId,
      callbackAuthorization: () => signer.authorization(state.callbackAuth),
      log: (line) => state.log(line),
    });
  }

  async listen(options: EmulatorOptions): Promise<void> {
    const state = this.state;
    const log = (line: string): void => state.log(line);
    const events = this.events;
    const routes = {
      control: new ControlApi(state, events),
      admin: new AdminApi(state, events, () => events.log),
      signer: this.signer,
    };
    const open = async (name: string, port: number | undefined, handler: Handler): Promise<RunningServer> => {
      const server = await listen(name, port ?? 0, handler, log).catch(async (error: unknown) => {
        await this.stop(); // NOTE: a port in use must not leave the servers already listening behind.
        throw error;
      });
      this.servers.push(server);
      return server;
    };
    const endpoint = await open('endpoint', options.port, endpointHandler(state, routes));
    const storage = await open('storage', options.storagePort, storageHandler(state, 'storage'));
    const regional = await open('regional', options.regionalPort, storageHandler(state, 'regional'));
    state.addresses = {
      endpointHost: `127.0.0.1:${endpoint.port}`,
      endpoint: `http://127.0.0.1:${endpoint.port}/`,
      storageOrigin: `http://127.0.0.1:${storage.port}`,
      regionalOrigin: `http://127.0.0.1:${regional.port}`,
    };
  }

  get endpoint(): string {
    return this.state.addresses.endpoint;
  }
  get connectionString(): string {
    return `endpoint=${this.endpoint};accesskey=${this.state.settings.accessKey.toString('base64')}`;
  }
  get storageOrigin(): string {
    return this.state.addresses.storageOrigin;
  }
  get regionalOrigin(): string {
    return this.state.addresses.regionalOrigin;
  }
  get resourceId(): string {
    return this.state.settings.resourceId;
  }
  get immutableResourceId(): string {
    return this.state.settings.immutableResourceId;
  }
  get openIdConfigUrl(): string {
    return `${this.endpoint.replace(/\/$/, '')}${OPENID_CONFIG_PATH}`;
  }
  get requests(): RequestLogEntry[] {
    return this.state.requests;
  }
  get deletedDocuments(): string[] {
    return this.state.deletedDocuments;
  }
  get recordings(): ReadonlyMap<string, EmulatedRecording> {
    return this.state.recordings;
  }
  get deliveries(): DeliveryLogEntry[] {
    return this.events.log;
  }

  createRecordingFiles(spec: RecordingFilesSpec): Promise<RecordingFiles> {
    return createRecordingFiles(this.state, spec);
  }

  recordingFileStatusEvent(
    files: RecordingFiles,
    opts: Parameters<AcsEmulator['recordingFileStatusEvent']>[1] = {},
  ): object {
    const { eventSchema, eventForm, resourceId } = this.state.settings;
    return recordingFileStatusEvent(files, {
      schema: opts.schema ?? eventSchema,
      form: opts.form ?? eventForm,
      source: resourceId,
      ...(opts.chunkIndices ? { chunkIndices: opts.chunkIndices } : {}),
      ...(opts.id ? { id: opts.id } : {}),
      ...(opts.formatFields !== undefined ? { formatFields: opts.formatFields } : {}),
      ...(opts.time !== undefined ? { time: opts.time } : {}),
    });
  }

  async writeCustomerFiles(files: RecordingFiles, containerUrl: string): Promise<CustomerBlobs[]> {
    files.customerBlobs = await writeCustomerFiles(this.state, files, containerUrl);
    return files.customerBlobs;
  }

  setWebhooks(webhooks: { recordingFiles?: string[]; callEvents?: string[] }): void {
    if (webhooks.recordingFiles) this.state.settings.webhooks.recordingFiles = [...webhooks.recordingFiles];
    if (webhooks.callEvents) this.state.settings.webhooks.callEvents = [...webhooks.callEvents];
  }

  setFault(documentId: string, fault: Fault): void {
    this.state.faults.add(documentId, fault);
  }
  clearFaults(documentId?: string): void {
    this.state.faults.clear(documentId);
  }
  expire(documentId: string, opts: { status?: 404 | 410 } = {}): void {
    const doc = this.state.documents.get(documentId);
    if (!doc) return;
    doc.expired = true;
    if (opts.status) doc.expiredStatus = opts.status;
  }
  setStorageAnswers(answers: StorageAnswers): void {
    this.state.storageAnswers = answers;
  }
  changeVersion(documentId: string, opts: { size?: number; afterRequests?: number } = {}): Promise<DocumentVersion> {
    return this.state.documents.changeVersion(documentId, opts.size, opts.afterRequests);
  }
  setRateLimit(documentId: string, bytesPerSecond: number | undefined): void {
    if (!bytesPerSecond) this.state.rateLimits.delete(documentId);
    else this.state.rateLimits.set(documentId, new RateLimiter(bytesPerSecond, this.state.clock));
  }
  clearRequests(): void {
    this.state.requests.length = 0;
  }

  async startCall(opts?: StartCallOptions): Promise<SimulatedCall> {
    return startCall(this.state, this.events, opts);
  }
  endCall(serverCallId: string): Promise<void> {
    return endCall(this.state, this.events, serverCallId);
  }
  hangUp(callConnectionId: string): void {
    hangUp(this.state, this.events, callConnectionId);
  }

  setControlFault(fault: ControlFault): void {
    this.state.controlFaults.add(fault);
  }
  clearControlFaults(): void {
    this.state.controlFaults.clear();
  }
  setStartResponse(response?: StartResponse): void {
    this.state.startResponse = response ? { ...response, remaining: response.times ?? Infinity } : undefined;
  }
  setStartDelay(ms: number): void {
    this.state.startDelayMs = ms;
  }
  addEntraToken(token: string): void {
    this.state.settings.entraTokens.add(token);
  }
  callbackToken(opts?: CallbackTokenOptions): string {
    return this.signer.token(opts);
  }
  setCallbackAuth(mode: CallbackAuthMode): void {
    this.state.callbackAuth = mode;
  }

  validateWebhook(url: string, schema?: EventSchema): Promise<WebhookValidation> {
    return this.events.validate(url, schema ?? this.state.settings.eventSchema);
  }
  idle(): Promise<void> {
    return this.events.idle();
  }
  async stop(): Promise<void> {
    this.events.stop();
    await Promise.all(this.servers.map((server) => server.close()));
  }
}

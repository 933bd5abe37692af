import type { RecordingControlClient, StartRecordingInput } from '../acs/controlClient';
import type { Config } from '../config';
import { ConflictError, NotFoundError, RetryableError } from '../errors';
import { withState, type CallRecord, type CallStore, type RecordingState, type StoredCall } from './callStore';

/** What the API returns for a call (SPEC section 8). */
export interface RecordingView {
  serverCallId: string;
  recordingId: string | null;
  state: RecordingState;
  updatedAt: string;
}

/** A claim older than this with no recordingId is taken to be from a crashed instance and is retried. */
const STALE_CLAIM_MS = 60_000;
const MAX_WRITE_ATTEMPTS = 5;

export function viewOf(record: CallRecord): RecordingView {
  return {
    serverCallId: record.serverCallId,
    recordingId: record.recordingId,
    state: record.state,
    updatedAt: record.updatedAt,
  };
}

/**
 * The decisions: claim the call in the store first (conditional create), then call ACS, so that however many legs,
 * duplicates or concurrent deliveries arrive, exactly one start request reaches ACS.
 */
export class RecordingControl {
  constructor(
    private readonly store: CallStore,
    private readonly acs: RecordingControlClient,
    private readonly config: Pick<Config, 'recording' | 'recordingStateCallbackUrl'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async startForCall(serverCallId: string, reason: string, operationContext?: string): Promise<RecordingView> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const existing = await this.store.get(serverCallId);
      let claimed: StoredCall | undefined;
      if (!existing) {
        claimed = await this.store.create(this.newRecord(serverCallId, reason));
      } else {
        const r = existing.record;
        const stale = r.state === 'starting' && this.now().getTime() - Date.parse(r.updatedAt) > STALE_CLAIM_MS;
        if (r.state === 'stopped') {
          throw new ConflictError(`The recording of call ${serverCallId} was stopped; it cannot be started again`);
        }
        if (r.state !== 'failed' && !stale) return viewOf(r);
        claimed = await this.store.replace(withState(r, 'starting', reason, this.now()), existing.etag);
      }
      if (!claimed) continue; // another writer won the race: read what it wrote
      return this.sendStart(claimed, operationContext);
    }
    throw new RetryableError('StoreContention', `Too many concurrent changes to call ${serverCallId}; retry later`);
  }

  private async sendStart(claim: StoredCall, operationContext?: string): Promise<RecordingView> {
    const serverCallId = claim.record.serverCallId;
    const input: StartRecordingInput = {
      serverCallId,
      recording: this.config.recording,
      ...(this.config.recordingStateCallbackUrl
        ? { recordingStateCallbackUri: this.config.recordingStateCallbackUrl.href }
        : {}),
      ...(operationContext ? { operationContext } : {}),
    };
    try {
      const result = await this.acs.start(input);
      const state: RecordingState =
        result.kind === 'started' && this.config.recording.pauseOnStart ? 'paused' : 'active';
      const reason = result.kind === 'alreadyInProgress' ? 'ACS: already in progress (8553)' : 'ACS: started';
      return viewOf(
        await this.update(claim, (r) => ({
          ...withState(r, state, reason, this.now()),
          recordingId: result.recordingId,
        })),
      );
    } catch (error) {
      const reason = `start failed: ${error instanceof Error ? error.message : 'error'}`;
      await this.update(claim, (r) => withState(r, 'failed', reason, this.now())).catch(() => undefined);
      throw error;
    }
  }

  async stopForCall(serverCallId: string, reason: string): Promise<RecordingView> {
    const existing = await this.require(serverCallId);
    const r = existing.record;
    if (r.state === 'stopped') return viewOf(r);
    if (r.recordingId) {
      try {
        await this.acs.stop(serverCallId, r.recordingId);
      } catch (error) {
        // NOTE: ACS forgets a recording once its call ends; "not found" means there is nothing left to stop.
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    return viewOf(await this.update(existing, (c) => withState(c, 'stopped', reason, this.now())));
  }

  async pause(serverCallId: string): Promise<RecordingView> {
    return this.transition(serverCallId, 'paused', ['active', 'paused'], (id) => this.acs.pause(serverCallId, id));
  }

  async resume(serverCallId: string): Promise<RecordingView> {
    return this.transition(serverCallId, 'active', ['active', 'paused'], (id) => this.acs.resume(serverCallId, id));
  }

  async get(serverCallId: string): Promise<RecordingView> {
    return viewOf((await this.require(serverCallId)).record);
  }

  /** A recording state callback or RecordingStateChanged event. Unknown calls are ignored (undefined). */
  async applyStateCallback(
    serverCallId: string,
    recordingId: string | null,
    acsState: string,
  ): Promise<RecordingView | undefined> {
    const existing = await this.store.get(serverCallId);
    if (!existing) return undefined;
    const s = acsState.toLowerCase();
    if (s !== 'active' && s !== 'inactive' && s !== 'failed') return viewOf(existing.record);
    // NOTE: decided on the record as it is when written (inside the ETag retry), not as first read: the callback for
    // a stop often races the stop itself, and "inactive" after a stop means stopped, not paused.
    const stateFor = (r: CallRecord): RecordingState =>
      s === 'active'
        ? r.state === 'stopped'
          ? 'stopped'
          : 'active'
        : s === 'failed'
          ? 'failed'
          : r.state === 'stopped'
            ? 'stopped'
            : 'paused';
    return viewOf(
      await this.update(existing, (r) => ({
        ...withState(r, stateFor(r), `state callback: ${acsState}`, this.now()),
        recordingId: r.recordingId ?? recordingId,
      })),
    );
  }

  private async transition(
    serverCallId: string,
    to: RecordingState,
    from: RecordingState[],
    call: (recordingId: string) => Promise<void>,
  ): Promise<RecordingView> {
    const existing = await this.require(serverCallId);
    const r = existing.record;
    if (!from.includes(r.state)) {
      throw new ConflictError(`The recording of call ${serverCallId} is ${r.state}; it cannot become ${to}`);
    }
    if (!r.recordingId) {
      throw new ConflictError(`The recording of call ${serverCallId} was not started by this app; its id is unknown`);
    }
    if (r.state === to) return viewOf(r);
    await call(r.recordingId);
    return viewOf(await this.update(existing, (c) => withState(c, to, `API: ${to}`, this.now())));
  }

  private async require(serverCallId: string): Promise<StoredCall> {
    const existing = await this.store.get(serverCallId);
    if (!existing) throw new NotFoundError(`No recording is known for call ${serverCallId}`, 'CallNotFound');
    return existing;
  }

  /** Applies `change` with ETag retries, re-reading when another writer got there first. */
  private async update(current: StoredCall, change: (r: CallRecord) => CallRecord): Promise<CallRecord> {
    let stored: StoredCall | undefined = current;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS && stored; attempt++) {
      const next = change(stored.record);
      const written = await this.store.replace(next, stored.etag);
      if (written) return written.record;
      stored = await this.store.get(current.record.serverCallId);
    }
    throw new RetryableError('StoreContention', `Could not record the change to call ${current.record.serverCallId}`);
  }

  private newRecord(serverCallId: string, reason: string): CallRecord {
    const at = this.now().toISOString();
    return {
      serverCallId,
      recordingId: null,
      state: 'starting',
      dialect: this.acs.dialect,
      createdAt: at,
      updatedAt: at,
      reason,
      history: [{ state: 'starting', at, reason }],
    };
  }
}

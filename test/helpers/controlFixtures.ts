import type { CallRecord } from '../../shared/control/callRecord';
import type { Timing } from '../../shared/control/startDecisions';

/**
 * Ids from Microsoft's published 2025-06-15 StartRecording REST example (Azure/azure-rest-api-specs,
 * specification/communication/data-plane/CallAutomation/stable/2025-06-15/examples/CallRecording_StartRecording.json):
 * standard base64 with '/' and '=' padding, exactly as ACS hands them out.
 */
export const PADDED_SERVER_CALL_ID =
  'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
export const EXAMPLE_RECORDING_ID =
  'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiI4YjlkYmFkMS0xOGFiLTRmODYtYWQ0Yy1jNzVmODA5ODA3NmUiLCJSZXNvdXJjZVNwZWNpZmljSWQiOiI4YjlkYmFkMS0xOGFiLTRmODYtYWQ0Yy1jNzVmODA5ODA3NmUifQ==';
/** The same call id in base64url without padding (the form the 2021 documentation describes). */
export const UNPADDED_SERVER_CALL_ID =
  'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI_aT0wJmU9NzU3NzA4NzU3OQ';

export const T0 = new Date('2026-03-01T10:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** Stale after 60 s, repeatable for 4 minutes (the values the product uses). */
export const timingAt = (seconds: number): Timing => ({
  now: at(seconds),
  staleClaimMs: 60_000,
  repeatabilityWindowMs: 240_000,
});

/** A record as the product writes it, in the given state; override what a test is about. */
export function recordWith(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    version: 2,
    locator: { kind: 'serverCallId', id: PADDED_SERVER_CALL_ID },
    callConnectionId: null,
    recordingId: EXAMPLE_RECORDING_ID,
    state: 'active',
    start: {
      requestId: '3a1f0a52-7d2c-4b8e-9f41-0c6f0f2d9b11',
      firstSent: 'Sun, 01 Mar 2026 10:00:00 GMT',
      claimedAt: '2026-03-01T10:00:00.000Z',
      attempts: 1,
      inFlight: false,
      uncertain: false,
      trigger: 'CallStarted',
    },
    stopRequested: null,
    dialect: 'calling',
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    reason: 'test',
    history: [],
    ...overrides,
  };
}

/** A record whose start is out at ACS (claimed at T0, not answered yet). */
export function inFlightRecord(overrides: Partial<CallRecord> = {}): CallRecord {
  const base = recordWith({ state: 'starting', recordingId: null });
  return { ...base, start: { ...base.start!, inFlight: true }, ...overrides };
}

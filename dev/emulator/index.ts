import { Emulator } from './emulator';
import type { AcsEmulator, EmulatorOptions } from './types';

/**
 * A faithful local stand-in for Azure Communication Services recording (see README "The ACS emulator"):
 * - endpoint: the recording control API in both dialects (GA `calling` 2025-06-15, 2021 `conversations`), with
 *   HMAC-SHA256 or configured Entra bearer tokens, `Repeatability-Request-ID` replay, 200/202 starts, start delays
 *   and control faults; the 2021 downloads; the OpenID configuration and keys of its callback JWTs;
 * - storage + regional hosts: recording documents with ranges, ETags per version, version changes, per-document
 *   rate limits and faults (reset, 401/403/5xx/429, HTML, empty, 302, trickle);
 * - events: Event Grid system events (RecordingFileStatusUpdated, CallStarted/CallEnded, the 2021
 *   CallLegStateChanged) with the resource id as topic/source, and Call Automation callbacks (CallConnected,
 *   CallDisconnected, RecordingStateChanged, StartRecordingFailed) signed with RS256 JWTs, both with Event Grid-like
 *   retries;
 * - bring your own storage: the files of a recording started with `externalStorage` written into the customer's
 *   container (Azurite, `customerStorage`) as Learn's folder structure shows, before the recording is announced.
 * It imports nothing from the product (shared/): tests must not test the product against itself.
 */

export { EMULATOR_ACCESS_KEY, EMULATOR_IMMUTABLE_RESOURCE_ID, EMULATOR_RESOURCE_ID } from './state';
export { newServerCallId, newRecordingId } from './ids';
export { verifyAcsRequest } from './verifyAcsRequest';
export { SyntheticContent } from './syntheticContent';
export type * from './types';

export async function startEmulator(options: EmulatorOptions = {}): Promise<AcsEmulator> {
  const emulator = new Emulator(options);
  await emulator.listen(options);
  return emulator;
}

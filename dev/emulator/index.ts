import { Emulator, EMULATOR_ACCESS_KEY } from './emulator';
import type { AcsEmulator, EmulatorOptions } from './types';

/**
 * A faithful local stand-in for the ACS recording service: control API (both dialects), the storage host with
 * recording files, faults and a request log, and Event Grid-like event delivery. See README "The ACS emulator".
 */

export { EMULATOR_ACCESS_KEY };
export { verifyAcsRequest } from './verifyAcsRequest';
export { SyntheticContent } from './syntheticContent';
export type * from './types';

export async function startEmulator(options: EmulatorOptions = {}): Promise<AcsEmulator> {
  const emulator = new Emulator(options);
  await emulator.listen();
  return emulator;
}

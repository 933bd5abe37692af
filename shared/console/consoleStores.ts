import type { Config } from '../config';
import { auditedStores } from '../participants';
import { blobServiceClientFor } from '../storage';
import type { ConsoleStores } from './recordingActions';

/**
 * The containers the console reads (archive, control) and writes its access records to (audit). Each must exist: a
 * missing one is a ConfigError naming its setting, never an empty console or access records nobody protected.
 */
export async function consoleStores(
  config: Pick<Config, 'storage' | 'archiveContainer' | 'controlContainer' | 'auditContainer'>,
): Promise<ConsoleStores> {
  const { archive, control, audit } = await auditedStores(config);
  return { service: blobServiceClientFor(config), archive, control, audit };
}

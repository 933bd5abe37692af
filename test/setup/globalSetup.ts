import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzurite } from '../../dev/azurite';

/**
 * One Azurite (blob and queue services) for the whole run; tests isolate themselves with their own containers and
 * queues. Its connection string (BlobEndpoint and QueueEndpoint) reaches the test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const location = mkdtempSync(path.join(os.tmpdir(), 'cra-azurite-'));
  const azurite = await startAzurite({ location });
  process.env.TEST_AZURITE_CONNECTION_STRING = azurite.connectionString;
  (globalThis as { __azurite?: typeof azurite }).__azurite = azurite;
}

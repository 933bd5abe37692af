import { rmSync } from 'node:fs';
import type { AzuriteHandle } from '../../dev/azurite';

export default async function globalTeardown(): Promise<void> {
  const azurite = (globalThis as { __azurite?: AzuriteHandle }).__azurite;
  if (!azurite) return;
  await azurite.stop();
  rmSync(azurite.location, { recursive: true, force: true });
}

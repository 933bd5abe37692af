import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './ports';

/** The well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  blobPort: number;
  connectionString: string;
  location: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Azurite's blob service as a child process on loopback.
 * NOTE: `--skipApiVersionCheck` because new SDKs send API versions Azurite 3.35 does not know yet; a `--location`
 * folder because it ingests faster than `--inMemoryPersistence`.
 */
export async function startAzurite(options: {
  location: string;
  port?: number;
  silent?: boolean;
}): Promise<AzuriteHandle> {
  mkdirSync(options.location, { recursive: true });
  const blobPort = options.port ?? (await freePort());
  const main = require.resolve('azurite/dist/src/blob/main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(blobPort),
      '--location',
      options.location,
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
      ...(options.silent === false ? ['--debug', path.join(options.location, 'debug.log')] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (/successfully listen/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code}:\n${output}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT};`;
  return {
    blobPort,
    connectionString,
    location: options.location,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

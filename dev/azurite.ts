import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** The well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  blobPort: number;
  queuePort: number;
  /** Blob AND queue endpoints of the development account. */
  connectionString: string;
  location: string;
  /** The blob and queue service processes. */
  processes: ChildProcess[];
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  location: string;
  /** Default 0: Azurite picks a free port and reports it. */
  blobPort?: number;
  queuePort?: number;
  /** false: Azurite's debug log goes to <location>/debug-<service>.log. */
  silent?: boolean;
}

/**
 * Starts Azurite's blob and queue services (two child processes, started in parallel, sharing one `--location`) on
 * loopback. NOTE: `--skipApiVersionCheck` because new SDKs send API versions Azurite 3.35 does not know yet; a
 * `--location` folder because it ingests faster than `--inMemoryPersistence`; port 0 so that Azurite binds a free port
 * itself (no race between finding a port and using it).
 */
export async function startAzurite(options: AzuriteOptions): Promise<AzuriteHandle> {
  mkdirSync(options.location, { recursive: true });
  const started = await Promise.allSettled([
    startService('blob', options.blobPort ?? 0, options),
    startService('queue', options.queuePort ?? 0, options),
  ]);
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = () => Promise.all(services.map((s) => s.stop())).then(() => undefined);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [blob, queue] = services as [Service, Service];
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${blob.port}/${AZURITE_ACCOUNT};` +
    `QueueEndpoint=http://127.0.0.1:${queue.port}/${AZURITE_ACCOUNT};`;
  return {
    blobPort: blob.port,
    queuePort: queue.port,
    connectionString,
    location: options.location,
    processes: [blob.process, queue.process],
    stop,
  };
}

interface Service {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function startService(kind: 'blob' | 'queue', port: number, options: AzuriteOptions): Promise<Service> {
  const main = require.resolve(`azurite/dist/src/${kind}/main.js`);
  const child = spawn(
    process.execPath,
    [
      main,
      `--${kind}Host`,
      '127.0.0.1',
      `--${kind}Port`,
      String(port),
      '--location',
      options.location,
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
      ...(options.silent === false ? ['--debug', path.join(options.location, `debug-${kind}.log`)] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let output = '';
  const boundPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite (${kind}) did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /successfully listens? on https?:\/\/[^:\s]+:(\d+)/i.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`Azurite (${kind}) exited with code ${child.exitCode}:\n${output}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return { port: boundPort, process: child, stop };
}

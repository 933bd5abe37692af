import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteHandle } from './azurite';
import { startEmulator, type AcsEmulator } from './emulator';
import { spawnLocalHost, type HostProcess } from './host/spawnHost';
import { repoRoot } from './repoRoot';
import { ArchiveStore } from '../shared/archive';

/**
 * `npm start`: the whole product on this machine with embedded defaults and no Azure account: Azurite's blob and queue
 * services (data under .local/azurite), the ACS emulator, and the app's real function registrations in the local host,
 * which runs in its own process with its settings as its environment, as a Functions worker does. Plays one simulated
 * call through it (call events start and stop recording, ACS announces the files, archiveRecording queues the chunks,
 * archiveChunk copies them) and keeps serving, so you can drive it yourself with curl.
 */

const ROOT = repoRoot();
const HOST_PORT = Number(process.env.PORT ?? 7071);
const AZURITE_BLOB_PORT = Number(process.env.AZURITE_BLOB_PORT ?? 10000);
const AZURITE_QUEUE_PORT = Number(process.env.AZURITE_QUEUE_PORT ?? 10001);
const ARCHIVE_CONTAINER = 'recordings';

/** What to stop, in start order (stopped in reverse); also on a failed start, so no child process is left behind. */
const stops: Array<() => Promise<void>> = [];
let stopping = false;

async function shutdown(code = 0): Promise<void> {
  stopping = true;
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  let azurite: AzuriteHandle;
  try {
    azurite = await startAzurite({
      location: path.join(ROOT, '.local', 'azurite'),
      blobPort: AZURITE_BLOB_PORT,
      queuePort: AZURITE_QUEUE_PORT,
    });
  } catch (error) {
    throw new Error(
      `Azurite could not start on ports ${AZURITE_BLOB_PORT}/${AZURITE_QUEUE_PORT} (is another Azurite running? set AZURITE_BLOB_PORT and AZURITE_QUEUE_PORT to use others): ${
        error instanceof Error ? error.message.split('\n')[0] : String(error)
      }`,
    );
  }
  stops.push(() => azurite.stop());
  const hostUrl = `http://127.0.0.1:${HOST_PORT}`;
  const emulator = await startEmulator({
    port: Number(process.env.ACS_EMULATOR_PORT ?? 8443),
    storagePort: Number(process.env.ACS_EMULATOR_STORAGE_PORT ?? 8444),
    regionalPort: Number(process.env.ACS_EMULATOR_REGIONAL_PORT ?? 8445),
    webhooks: {
      recordingFiles: [`${hostUrl}/runtime/webhooks/eventgrid?functionName=archiveRecording`],
      callEvents: [`${hostUrl}/api/call-events`],
    },
  });
  stops.push(() => emulator.stop());
  const env: Record<string, string> = {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AzureWebJobsStorage: azurite.connectionString,
    ARCHIVE_CONTAINER,
    ARCHIVE_QUEUE: process.env.ARCHIVE_QUEUE ?? 'archive-chunks',
    RECORDING_STATE_CALLBACK_URL: `${hostUrl}/api/recording-state`,
    ACS_RESOURCE_ID: emulator.resourceId,
    ACS_IMMUTABLE_RESOURCE_ID: emulator.immutableResourceId,
    ACS_CALLBACK_OPENID_CONFIG_URL: emulator.openIdConfigUrl,
  };
  const host: HostProcess = await spawnLocalHost({
    appRoot: ROOT,
    port: HOST_PORT,
    env,
    localSettings: true, // NOTE: a developer's local.settings.json fills in what the above does not set.
    onLine: (line) => console.log(line),
  });
  stops.push(() => host.stop());
  host.child.once('exit', (code) => {
    if (stopping) return;
    console.error(`The Functions host exited on its own (code ${code}); stopping the rest.`);
    void shutdown(1);
  });

  console.log(`
Running locally (no Azure account):
  Functions host    ${host.url}   (${host.functions.join(', ')}; its own process)
  ACS emulator      ${emulator.endpoint}   storage ${emulator.storageOrigin}
  Azurite (blobs)   http://127.0.0.1:${azurite.blobPort}/${AZURITE_ACCOUNT}   data in .local/azurite
  Azurite (queues)  http://127.0.0.1:${azurite.queuePort}/${AZURITE_ACCOUNT}   chunk queue ${env.ARCHIVE_QUEUE}
${existsSync(path.join(ROOT, 'local.settings.json')) ? '  (local.settings.json found: its Values fill what the above does not set)\n' : ''}
Playing one simulated call through the product...`);

  await playOneCall(emulator, env);

  console.log(`
Still serving. Try:
  curl -s -X POST ${host.url}/api/recordings -H 'content-type: application/json' -d '{"serverCallId":"<base64url id>"}'
  ARCHIVE_STORAGE_CONNECTION_STRING='${azurite.connectionString}' \\
  AzureWebJobsStorage='${azurite.connectionString}' \\
  ACS_CONNECTION_STRING='${emulator.connectionString}' npx call-recording-archiver status --all
Ctrl+C stops everything.`);
}

async function playOneCall(emulator: AcsEmulator, env: Record<string, string>): Promise<void> {
  const call = await emulator.startCall({ legs: 2 });
  console.log(
    `  call started          serverCallId ${call.serverCallId.slice(0, 32)}…  (CallStarted -> /api/call-events)`,
  );
  const recording = await waitFor('recording to start', async () =>
    [...emulator.recordings.values()].find((r) => r.serverCallId === call.serverCallId && r.state === 'active'),
  );
  console.log(`  recording started     recordingId ${recording.recordingId.slice(0, 32)}…`);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await emulator.endCall(call.serverCallId);
  console.log(
    '  call ended            (CallEnded -> /api/call-events; RecordingFileStatusUpdated -> archiveRecording -> queue -> archiveChunk)',
  );
  const container = BlobServiceClient.fromConnectionString(env.ARCHIVE_STORAGE_CONNECTION_STRING!).getContainerClient(
    ARCHIVE_CONTAINER,
  );
  const store = new ArchiveStore(container);
  // NOTE: archiveChunk completes the archive from the queue (polled with backoff up to maxPollingInterval), so this
  // waits on the manifest's status, not on the Event Grid delivery.
  const folder = await waitFor(
    'the archive to complete',
    async () => {
      if (!(await container.exists())) return undefined;
      for await (const { callId, recordingKey } of store.manifestRefs(call.callId)) {
        const stored = await store.readManifest(callId, recordingKey);
        if (stored?.manifest.status === 'complete') return `${callId}/${recordingKey}`;
      }
      return undefined;
    },
    180_000,
  );
  console.log(`  archived              ${ARCHIVE_CONTAINER}/${folder}/`);
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  for await (const blob of container.listBlobsFlat({ prefix: `${folder}/` })) {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: ARCHIVE_CONTAINER,
        blobName: blob.name,
        permissions: BlobSASPermissions.parse('r'),
        expiresOn: new Date(Date.now() + 24 * 3_600_000),
      },
      credential,
    ).toString();
    console.log(
      `    ${path.posix.basename(blob.name).padEnd(28)} ${String(blob.properties.contentLength).padStart(9)} bytes`,
    );
    console.log(`      curl -o ${path.posix.basename(blob.name)} '${container.getBlobClient(blob.name).url}?${sas}'`);
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void shutdown(1);
});

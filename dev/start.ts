import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
} from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteHandle } from './azurite';
import { startEmulator, type AcsEmulator, type EmulatorOptions } from './emulator';
import { spawnLocalHost, type HostProcess } from './host/spawnHost';
import { repoRoot } from './repoRoot';
import { ArchiveStore } from '../shared/archive';

/**
 * `npm start`: the whole product on this machine with embedded defaults and no Azure account: Azurite's blob and queue
 * services (data under .local/azurite), the ACS emulator, and the app's real function registrations in the local host,
 * which runs in its own process with its settings as its environment, as a Functions worker does. Plays one simulated
 * call through it (call events start and stop recording, ACS announces the files, archiveRecording queues the chunks,
 * archiveChunk copies them) and keeps serving, so you can drive it yourself with curl.
 *
 * `npm start -- --scenario=NAME` (or START_SCENARIO=NAME) picks the call: `mixed` (default: audio and video, MP4),
 * `unmixed-wav` (the app asks for unmixed audio, one WAV channel per participant; the manifest maps channels to
 * participants) or `byos` (the app asks ACS to record into your own container, `byos-recordings` in Azurite: the
 * emulator writes the files there as ACS does and announces them with `storageType` and no format fields; the
 * archiver verifies and indexes them in place, and the archive holds only the manifest).
 */

const ROOT = repoRoot();
const HOST_PORT = Number(process.env.PORT ?? 7071);
const AZURITE_BLOB_PORT = Number(process.env.AZURITE_BLOB_PORT ?? 10000);
const AZURITE_QUEUE_PORT = Number(process.env.AZURITE_QUEUE_PORT ?? 10001);
const ARCHIVE_CONTAINER = 'recordings';
/** The customer's own container of the `byos` scenario, in the same Azurite. */
const BYOS_CONTAINER = 'byos-recordings';

interface Scenario {
  what: string;
  /** Settings of the app for this call. */
  host: Record<string, string>;
  emulator: Pick<EmulatorOptions, 'eventForm'>;
  /** Bring your own storage: the Azurite container ACS records into (created; the emulator writes into it). */
  customerContainer?: string;
}

const SCENARIOS: Record<string, Scenario> = {
  mixed: { what: 'a mixed audio and video call (MP4)', host: {}, emulator: {} },
  'unmixed-wav': {
    what: 'an unmixed audio call: one WAV channel per participant',
    host: { RECORDING_CONTENT_TYPE: 'audio', RECORDING_CHANNEL_TYPE: 'unmixed', RECORDING_FORMAT_TYPE: 'wav' },
    emulator: {},
  },
  byos: {
    what: 'a call recorded into your own container: ACS writes the files there, the archiver verifies them in place',
    // NOTE: the start carries `externalStorage` with this container as a real one does; the emulator writes the files
    // into it (Learn's folder structure) before it announces them, and the app reads them with Azurite's account key.
    // Audio as MP3: the one media file name Learn's folder structure shows (`[chunk-id]-audiomp3.documentId.mp3`).
    host: {
      RECORDING_EXTERNAL_STORAGE_URL: `http://127.0.0.1:${AZURITE_BLOB_PORT}/${AZURITE_ACCOUNT}/${BYOS_CONTAINER}`,
      RECORDING_CONTENT_TYPE: 'audio',
      RECORDING_FORMAT_TYPE: 'mp3',
    },
    emulator: { eventForm: 'byos' },
    customerContainer: BYOS_CONTAINER,
  },
};

/** `--scenario=NAME`, `--scenario NAME` or START_SCENARIO; a name it does not know fails naming the choices. */
function scenarioName(): string {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === '--scenario' || a.startsWith('--scenario='));
  const name = at < 0 ? (process.env.START_SCENARIO ?? 'mixed') : (args[at]!.split('=')[1] ?? args[at + 1] ?? '');
  if (!(name in SCENARIOS)) {
    throw new Error(`Unknown scenario '${name}': use --scenario=${Object.keys(SCENARIOS).join('|')}`);
  }
  return name;
}

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
  const name = scenarioName();
  const scenario = SCENARIOS[name]!;

  let azurite: AzuriteHandle;
  try {
    azurite = await startAzurite({
      location: process.env.START_AZURITE_LOCATION ?? path.join(ROOT, '.local', 'azurite'),
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
  if (scenario.customerContainer) {
    await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(scenario.customerContainer)
      .createIfNotExists();
  }
  const hostUrl = `http://127.0.0.1:${HOST_PORT}`;
  // Keys are enforced as in Azure, so the console (and every other function) opens only with one: the senders below
  // carry theirs in their URLs, as Event Grid subscriptions and ACS callbacks do.
  const keys = {
    master: randomBytes(24).toString('base64url'),
    host: { default: randomBytes(24).toString('base64url') },
    functions: { consoleApi: randomBytes(24).toString('base64url') },
    system: { eventgrid_extension: randomBytes(24).toString('base64url') },
  };
  const hostKey = keys.host.default;
  const emulator = await startEmulator({
    port: Number(process.env.ACS_EMULATOR_PORT ?? 8443),
    storagePort: Number(process.env.ACS_EMULATOR_STORAGE_PORT ?? 8444),
    regionalPort: Number(process.env.ACS_EMULATOR_REGIONAL_PORT ?? 8445),
    webhooks: {
      recordingFiles: [
        `${hostUrl}/runtime/webhooks/eventgrid?functionName=archiveRecording&code=${keys.system.eventgrid_extension}`,
      ],
      callEvents: [`${hostUrl}/api/call-events?code=${hostKey}`],
    },
    ...scenario.emulator,
    ...(scenario.customerContainer ? { customerStorage: { connectionString: azurite.connectionString } } : {}),
  });
  stops.push(() => emulator.stop());
  // The console writes an access record before it shows or plays anything; in Azure the deployment makes this
  // container (immutable), here it is made once.
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(process.env.AUDIT_CONTAINER ?? 'recording-audit')
    .createIfNotExists();
  const env: Record<string, string> = {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AzureWebJobsStorage: azurite.connectionString,
    ARCHIVE_CONTAINER,
    ARCHIVE_QUEUE: process.env.ARCHIVE_QUEUE ?? 'archive-chunks',
    RECORDING_STATE_CALLBACK_URL: `${hostUrl}/api/recording-state?code=${hostKey}`,
    LOCAL_HOST_KEYS: JSON.stringify(keys),
    // The function key opens the console here; in Azure it never does (shared/console/access.ts).
    CONSOLE_AUTH: 'function-key',
    ACS_RESOURCE_ID: emulator.resourceId,
    ACS_IMMUTABLE_RESOURCE_ID: emulator.immutableResourceId,
    ACS_CALLBACK_OPENID_CONFIG_URL: emulator.openIdConfigUrl,
    ...scenario.host,
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
  Azurite (blobs)   http://127.0.0.1:${azurite.blobPort}/${AZURITE_ACCOUNT}   data in ${path.relative(ROOT, azurite.location) || azurite.location}
  Azurite (queues)  http://127.0.0.1:${azurite.queuePort}/${AZURITE_ACCOUNT}   chunk queue ${env.ARCHIVE_QUEUE}
${existsSync(path.join(ROOT, 'local.settings.json')) ? '  (local.settings.json found: its Values fill what the above does not set)\n' : ''}
  Archive console    ${host.url}/api/console/ui/?code=${keys.functions.consoleApi}
                    (the consoleApi function key; docs/console.md)

Playing one simulated call through the product: ${scenario.what} (--scenario=${name})...`);

  await playOneCall(emulator, env);

  console.log(`
Still serving. Try:
  curl -s -X POST ${host.url}/api/recordings -H 'x-functions-key: ${hostKey}' -H 'content-type: application/json' -d '{"serverCallId":"<base64url id>"}'
  The archive console: ${host.url}/api/console/ui/?code=${keys.functions.consoleApi}
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
  const [callId, recordingKey] = folder.split('/') as [string, string];
  const { manifest } = (await store.readManifest(callId, recordingKey))!;
  console.log(
    `  manifest              formatType ${manifest.formatType ?? '-'} (from the ${manifest.formatSource ?? '-'}), channelType ${manifest.channelType ?? '-'}, storageType ${manifest.storageType ?? '-'}`,
  );
  for (const { channel, participantId } of manifest.channels ?? []) {
    console.log(`    channel ${channel}             ${participantId}`);
  }
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const readOnlyUrl = (client: ContainerClient, name: string) => {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: client.containerName,
        blobName: name,
        permissions: BlobSASPermissions.parse('r'),
        expiresOn: new Date(Date.now() + 24 * 3_600_000),
      },
      credential,
    ).toString();
    return `${client.getBlobClient(name).url}?${sas}`;
  };
  for await (const blob of container.listBlobsFlat({ prefix: `${folder}/` })) {
    console.log(
      `    ${path.posix.basename(blob.name).padEnd(28)} ${String(blob.properties.contentLength).padStart(9)} bytes`,
    );
    console.log(`      curl -o ${path.posix.basename(blob.name)} '${readOnlyUrl(container, blob.name)}'`);
  }
  const inPlace = manifest.chunks.filter((c) => c.location === 'external');
  if (inPlace.length === 0) return;
  const customer = BlobServiceClient.fromConnectionString(env.ARCHIVE_STORAGE_CONNECTION_STRING!).getContainerClient(
    BYOS_CONTAINER,
  );
  console.log(`  verified in place     in your container ${BYOS_CONTAINER} (not copied; the manifest records where):`);
  for (const chunk of inPlace) {
    for (const name of [chunk.blob, chunk.metadataBlob]) {
      const file = path.posix.basename(name);
      const size = name === chunk.blob ? chunk.size : chunk.metadataSize;
      console.log(`    ${name}  ${size ?? '?'} bytes`);
      console.log(`      curl -o '${file}' '${readOnlyUrl(customer, name)}'`);
    }
    console.log(
      `    chunk ${chunk.index}: sha256 ${chunk.sha256}, the ACS store declared ${chunk.sourceSize ?? '?'} bytes`,
    );
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

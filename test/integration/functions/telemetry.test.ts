import { randomUUID } from 'node:crypto';
import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { parseEventLine, TELEMETRY_FIELDS, type TelemetryName } from '../../../shared/telemetry';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { KQL_FILES, readQuery } from '../../helpers/infra/templates';
import { REPO_ROOT } from '../../helpers/paths';
import { corpusEvent } from '../../helpers/corpus';
import { eventually } from '../../helpers/eventually';

/**
 * The alerts and the workbook read the app's telemetry lines. Here the app writes them for real: the compiled app in
 * the local host goes through every situation an operator is alerted to or charts (archives that complete, fail,
 * retry, poison and near their deadline; recordings started, stopped and refused; ACS access denied; refused
 * requests). Then every line must carry exactly the catalogue's fields, and every field a query in
 * infra/monitoring reads must be in a real line of the event it selects.
 */

const root = REPO_ROOT;
let emulator: AcsEmulator;
let host: HostProcess;
const seen = new Map<TelemetryName, Record<string, unknown>[]>();

beforeAll(async () => {
  emulator = await startEmulator();
  const id = randomUUID().slice(0, 8);
  host = await startHostProcess(root, {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    AzureWebJobsStorage: azuriteConnectionString(),
    ARCHIVE_CONTAINER: `tel-${id}`,
    CONTROL_CONTAINER: `tel-control-${id}`,
    ARCHIVE_QUEUE: `tel-${id}`,
    ARCHIVE_RETRY_BASE_MS: '10',
    ARCHIVE_MAX_ATTEMPTS: '1',
    // Every archive is "near its deadline" at once, and a failing copy reaches the poison queue in seconds.
    RECORDING_RETENTION_HOURS: '0.001',
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
    // Callbacks unchecked (and so a SenderCheckOff line, which an alert reads).
    ACS_CALLBACK_AUTH: 'none',
  });
  await produceEveryEvent();
  for (const line of host.lines) {
    const event = parseEventLine(line);
    if (event) seen.set(event.name, [...(seen.get(event.name) ?? []), event.fields]);
  }
}, 180_000);
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

const deliver = (body: unknown) =>
  fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
    method: 'POST',
    headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const api = (method: string, route: string, body?: unknown) =>
  fetch(`${host.url}/api/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const logged = (name: string) => () => host.lines.some((l) => l.includes(`${name} {`));

async function produceEveryEvent(): Promise<void> {
  // An archive that completes, one whose source expired, one that fails until its message is poison.
  const good = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
  const expired = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
  emulator.expire(expired.chunks[0]!.documentId);
  const failing = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
  emulator.setFault(failing.chunks[0]!.documentId, { kind: 'status', status: 403, times: 1000 });
  for (const files of [good, expired, failing]) await deliver([emulator.recordingFileStatusEvent(files)]);
  await deliver([
    {
      id: 'malformed',
      eventType: 'Microsoft.Communication.RecordingFileStatusUpdated',
      subject: '/x',
      eventTime: new Date().toISOString(),
      data: {},
    },
  ]);
  await eventually('a poisoned chunk', logged('ChunkPoisoned'), 90_000);
  await fetch(`${host.url}/admin/functions/sweepArchives`, { method: 'POST', body: '{}' });
  await eventually('a sweep', logged('SweepCompleted'), 60_000);

  // Recording control: a start, a stop, a refused start, a request that can never succeed.
  const call = 'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
  await api('POST', 'recordings', { serverCallId: call });
  await api('DELETE', `recordings?serverCallId=${encodeURIComponent(call)}`);
  emulator.setControlFault({ status: 403, times: 1, operation: 'start' });
  await api('POST', 'recordings', { serverCallId: `${call.slice(0, -2)}x` });
  await api('POST', 'recordings', { serverCallId: 'has a space' });
  await eventually('a refused request', logged('RequestRejected'));
  // A call event reaches a deployment whose sender checks are off (no ACS_RESOURCE_ID, callbacks unchecked).
  await api('POST', 'call-events', [{ ...corpusEvent('learn/event-grid-voice-video.2022.CallEnded.json') }]);
  await eventually('a sender check that is off', logged('SenderCheckOff'));
}

describe('telemetry lines the app really writes', () => {
  it('writes every event of the catalogue in these situations', () => {
    expect([...seen.keys()].sort()).toEqual(Object.keys(TELEMETRY_FIELDS).sort());
  });

  it.each(Object.keys(TELEMETRY_FIELDS) as TelemetryName[])('%s carries exactly the catalogue fields', (name) => {
    for (const fields of seen.get(name) ?? []) {
      expect(Object.keys(fields).sort()).toEqual([...(TELEMETRY_FIELDS[name] as readonly string[])].sort());
    }
  });

  // The queries over the app's lines (not those over Azure's own logs, such as StorageBlobLogs).
  const appQueries = KQL_FILES.filter((file) => readQuery(file).events.length > 0);

  it('reads the app lines in every query but those over Azure resource logs', () => {
    expect(KQL_FILES.filter((file) => !appQueries.includes(file))).toEqual(['monitoring/alert-chunk-overwrite.kql']);
  });

  it.each(appQueries)('%s reads only fields present in real lines of the events it selects', (file) => {
    const query = readQuery(file);
    const lines = query.events.flatMap((event) => seen.get(event as TelemetryName) ?? []);
    expect(lines.length).toBeGreaterThan(0);
    for (const field of query.fields) {
      expect({ field, inRealLine: lines.some((fields) => field in fields) }).toEqual({ field, inRealLine: true });
    }
  });

  it('carries no secret and no control character in any line', () => {
    const key = emulator.connectionString.split('accesskey=')[1]!;
    for (const line of host.lines) {
      expect(line).not.toContain(key);
      expect(line).not.toMatch(/Signature=|Bearer [A-Za-z0-9]/);
      expect([...line].filter((c) => c.charCodeAt(0) < 0x20 && c !== '\t')).toEqual([]);
    }
  });
});

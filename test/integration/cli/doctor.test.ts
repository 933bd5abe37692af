import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/core-auth';
import { doctor } from '../../../cli/commands/doctor';
import { createArmTarget } from '../../../cli/doctor/armTarget';
import { runCli } from '../../../cli/main';
import { startEmulator, EMULATOR_ACCESS_KEY, type AcsEmulator } from '../../../dev/emulator';
import { loadConfig } from '../../../shared/config';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { deployedSubscriptions, startArmStandIn, type ArmStandIn, type ArmWorld } from '../../helpers/armStandIn';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * `doctor` against real parts: the app in the local host (with function keys enforced, as in Azure), the ACS emulator,
 * Azurite, and, for the Azure-side reads, a loopback stand-in for Resource Manager (test/helpers/armStandIn.ts) that
 * the ARM target reaches over REST with a bearer token. Healthy wiring passes; each broken wire fails its own check,
 * with a fix, and no key ever reaches the output.
 */

const id = randomUUID().slice(0, 8);
const KEYS = {
  master: `master-${randomUUID()}`,
  functions: { callEvents: `call-events-${randomUUID()}`, recordingState: `recording-state-${randomUUID()}` },
};
const TOKEN = `arm-token-${randomUUID()}`;
const credential: TokenCredential = {
  getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3.6e6 }),
};

let emulator: AcsEmulator;
let host: HostProcess;
let arm: ArmStandIn;
let world: ArmWorld;
let appSettings: Record<string, string>;
const blobs = () => BlobServiceClient.fromConnectionString(azuriteConnectionString());
const queues = () => QueueServiceClient.fromConnectionString(azuriteConnectionString());

beforeAll(async () => {
  emulator = await startEmulator();
  host = await startHostProcess(REPO_ROOT, (port) => {
    appSettings = {
      ACS_CONNECTION_STRING: emulator.connectionString,
      ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
      AzureWebJobsStorage: azuriteConnectionString(),
      ARCHIVE_CONTAINER: `doc-arch-${id}`,
      CONTROL_CONTAINER: `doc-ctrl-${id}`,
      ARCHIVE_QUEUE: `doc-q-${id}`,
      RECORDING_STATE_CALLBACK_URL: `http://127.0.0.1:${port}/api/recording-state?code=${KEYS.functions.recordingState}`,
      LOCAL_HOST_KEYS: JSON.stringify(KEYS),
    };
    return appSettings;
  });
  // What a deployment (or a first archived call) leaves behind.
  await Promise.all([
    blobs().getContainerClient(appSettings.ARCHIVE_CONTAINER!).createIfNotExists(),
    blobs().getContainerClient(appSettings.CONTROL_CONTAINER!).createIfNotExists(),
    blobs().getContainerClient(`doc-dl-${id}`).createIfNotExists(),
    queues().getQueueClient(appSettings.ARCHIVE_QUEUE!).createIfNotExists(),
    queues().getQueueClient(`${appSettings.ARCHIVE_QUEUE!}-poison`).createIfNotExists(),
  ]);
  world = {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    resourceGroup: 'rg-doctor',
    functionAppName: 'func-doctor',
    topic: { name: 'acs-topic', resourceGroup: 'rg-acs' },
    acsResourceId: emulator.resourceId,
    eventSubscriptions: [],
    appSettings,
    functions: [
      'archiveRecording',
      'archiveChunk',
      'callEvents',
      'callAutomationEvents',
      'recordings',
      'recordingState',
      'sweepArchives',
      'participants',
      'console',
      'consoleApi',
    ],
    roleAssignments: [],
    alerts: ['near-deadline', 'recording-failed', 'poison', 'acs-access-denied', 'dead-letters', 'dropped-events'].map(
      (name) => ({
        name: `alert-archiver-${name}-abc123`,
        kind: name.includes('-events') || name === 'dead-letters' ? 'metric' : 'log',
        enabled: true,
      }),
    ),
  };
  arm = await startArmStandIn(world, TOKEN);
});
afterAll(async () => {
  await host?.stop();
  await arm?.stop();
  await emulator?.stop();
});

beforeEach(() => {
  world.eventSubscriptions = deployedSubscriptions({
    world,
    appUrl: host.url,
    callEventsKey: KEYS.functions.callEvents,
    deadLetter: { account: 'devstoreaccount1', container: `doc-dl-${id}` },
  });
  world.alerts.forEach((a) => (a.enabled = true));
});

/** The azd environment's values for this deployment, over the app's settings. */
function azdEnvironment(): Record<string, string> {
  return {
    ...appSettings,
    AZURE_SUBSCRIPTION_ID: world.subscriptionId,
    AZURE_RESOURCE_GROUP: world.resourceGroup,
    AZURE_FUNCTION_APP_NAME: world.functionAppName,
    SERVICE_API_URI: host.url,
    EVENT_GRID_SYSTEM_TOPIC_NAME: world.topic.name,
    EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP: world.topic.resourceGroup,
    ACS_RESOURCE_ID: world.acsResourceId,
    DEAD_LETTER_CONTAINER: `doc-dl-${id}`,
    ARCHIVE_STORAGE_ACCOUNT_NAME: 'devstoreaccount1',
    ARCHIVE_IMMUTABILITY_ACTIVE: 'false',
  };
}

interface Report {
  code: number;
  out: string;
  checks: Record<string, { status: string; detail: string; fix?: string }>;
}

async function azureDoctor(settings = azdEnvironment(), json = true): Promise<Report> {
  const out: string[] = [];
  const io = {
    out: (l: string) => out.push(l),
    err: (l: string) => out.push(l),
    isTTY: false,
    env: settings,
    cwd: '/',
  };
  const target = createArmTarget(
    {
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      functionAppName: world.functionAppName,
      appUrl: new URL(host.url),
      systemTopic: world.topic,
      acsResourceId: world.acsResourceId,
      appPrincipalId: 'principal-1',
    },
    { credential, endpoint: new URL(arm.url) },
  );
  const code = await doctor(target, loadConfig(settings), settings, io, { json });
  return { code, out: out.join('\n'), checks: json ? checksOf(out.join('\n')) : {} };
}

async function localDoctor(settings: Record<string, string>, appUrl = host.url): Promise<Report> {
  const out: string[] = [];
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'cra-doctor-'));
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), isTTY: false, env: settings, cwd };
  const code = await runCli(['doctor', '--json', '--app-url', appUrl], io);
  return { code, out: out.join('\n'), checks: checksOf(out.join('\n')) };
}

function checksOf(json: string): Report['checks'] {
  const parsed = JSON.parse(json) as { checks: { id: string; status: string; detail: string; fix?: string }[] };
  return Object.fromEntries(parsed.checks.map(({ id: checkId, ...rest }) => [checkId, rest]));
}

const statuses = (report: Report) => Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, v.status]));

function expectNoSecret(report: Report): void {
  for (const secret of [
    KEYS.master,
    KEYS.functions.callEvents,
    KEYS.functions.recordingState,
    TOKEN,
    EMULATOR_ACCESS_KEY,
  ]) {
    expect(report.out).not.toContain(secret);
  }
}

describe('doctor against a deployment (Resource Manager stand-in, the app in the local host)', () => {
  it('passes every check of a healthy wiring, and exits 0', async () => {
    const report = await azureDoctor();
    expect(statuses(report)).toEqual({
      'app.answers': 'pass',
      'app.functions': 'pass',
      'app.settings': 'pass',
      'eventGrid.recordingFiles': 'pass',
      'eventGrid.callEvents': 'pass',
      'callback.recordingState': 'pass',
      'storage.deadLetters': 'pass',
      'storage.containers': 'pass',
      'storage.queue': 'pass',
      'storage.worm': 'pass',
      'acs.access': 'pass',
      'acs.role': 'skip', // the app signs with the access key
      alerts: 'pass',
    });
    expect(report.code).toBe(0);
    expect(report.checks['eventGrid.callEvents']!.detail).toMatch(/its key opens callEvents/);
    expect(report.checks['acs.access']!.detail).toMatch(/404 8522, as documented/);
    // The ARM target paged through the topic's subscriptions (one per page here) with its token.
    expect(arm.requests.filter((r) => r.includes('$skiptoken=1'))).not.toHaveLength(0);
    expectNoSecret(report);
  });

  it("fails when callEvents' key was renewed after the subscription was made (Event Grid never retries a 401)", async () => {
    world.eventSubscriptions[1]!.fullUrl = `${host.url}/api/call-events?code=renewed-away-${randomUUID()}`;
    const report = await azureDoctor();
    expect(report.code).toBe(1);
    expect(report.checks['eventGrid.callEvents']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/its key no longer opens callEvents \(HTTP 401\)/),
      fix: expect.stringContaining('azd hooks run postdeploy'),
    });
    expect(report.checks['eventGrid.recordingFiles']!.status).toBe('pass');
    expectNoSecret(report);
    expect(report.out).not.toContain('renewed-away-');
  });

  it('fails on a missing subscription, a wrong filter, a stray dead-letter container and a disabled alert', async () => {
    world.eventSubscriptions.shift(); // the archive subscription is gone
    const callEvents = world.eventSubscriptions[0]!.json.properties as any;
    callEvents.filter.includedEventTypes = ['Microsoft.Communication.CallStarted'];
    world.alerts.find((a) => a.name.includes('dead-letters'))!.enabled = false;
    const report = await azureDoctor();
    expect(report.code).toBe(1);
    expect(report.checks['eventGrid.recordingFiles']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^no subscription delivers to archiveRecording \(the topic has: call-events-dev\)/),
    });
    expect(report.checks['eventGrid.callEvents']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/does not include Microsoft\.Communication\.CallEnded/),
    });
    expect(report.checks.alerts).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^disabled: alert-archiver-dead-letters-/),
    });

    world.eventSubscriptions = deployedSubscriptions({
      world,
      appUrl: host.url,
      callEventsKey: KEYS.functions.callEvents,
      deadLetter: { account: 'devstoreaccount1', container: 'somewhere-else' },
    });
    const strayed = await azureDoctor();
    expect(strayed.checks['eventGrid.recordingFiles']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        `dead-letters into devstoreaccount1/somewhere-else, but redrive reads devstoreaccount1/doc-dl-${id}`,
      ),
    });
  });

  it('fails when Event Grid dead-lettered events after a 401, and warns on other dead letters', async () => {
    const container = blobs().getContainerClient(`doc-dl-${id}`);
    const blob = `CALL-EVENTS-DEV/2026/1/2/3/${randomUUID()}.json`;
    const deadLetter = [
      {
        id: 'e1',
        eventType: 'Microsoft.Communication.CallEnded',
        deadLetterReason: 'MaxDeliveryAttemptsExceeded',
        deliveryAttempts: 1,
        lastHttpStatusCode: 401,
      },
    ];
    await container.getBlockBlobClient(blob).upload(JSON.stringify(deadLetter), JSON.stringify(deadLetter).length);
    try {
      const report = await azureDoctor();
      expect(report.checks['storage.deadLetters']).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^1 dead letter\(s\) in doc-dl-.* after HTTP 401 from the endpoint/),
        fix: expect.stringContaining('postdeploy'),
      });
    } finally {
      await container.deleteBlob(blob);
    }
    const busy = [{ ...deadLetter[0], lastHttpStatusCode: 503 }];
    const other = `ARCHIVE-FILES-DEV/2026/1/2/3/${randomUUID()}.json`;
    await container.getBlockBlobClient(other).upload(JSON.stringify(busy), JSON.stringify(busy).length);
    try {
      expect((await azureDoctor()).checks['storage.deadLetters']).toMatchObject({
        status: 'warn',
        fix: expect.stringContaining('redrive'),
      });
    } finally {
      await container.deleteBlob(other);
    }
  });

  it('checks the role of the app identity when the app signs in to ACS with it', async () => {
    const { acsRole } = await import('../../../cli/doctor/checks/acsChecks');
    const settings = { ...azdEnvironment(), ACS_CONNECTION_STRING: '', ACS_ENDPOINT: emulator.endpoint };
    const ctx = {
      target: createArmTarget(
        { ...world, appUrl: new URL(host.url), systemTopic: world.topic, appPrincipalId: 'principal-1' },
        { credential, endpoint: new URL(arm.url) },
      ),
      config: loadConfig(settings),
      settings,
      now: () => new Date(),
    };
    world.roleAssignments = [];
    expect(await acsRole.run(ctx)).toMatchObject({ status: 'fail', fix: expect.stringContaining('restart the app') });
    world.roleAssignments = [
      {
        roleDefinitionGuid: '09976791-48a7-449e-bb21-39d1a415f350',
        principalId: 'principal-1',
        scope: world.acsResourceId,
      },
    ];
    expect(await acsRole.run(ctx)).toMatchObject({ status: 'pass' });
  });

  it('prints one line per check with its fix, and no secret', async () => {
    world.eventSubscriptions[1]!.fullUrl = `${host.url}/api/call-events?code=stale-${randomUUID()}`;
    const report = await azureDoctor(azdEnvironment(), false);
    expect(report.code).toBe(1);
    expect(report.out).toMatch(/^doctor: the deployment at http:\/\/127\.0\.0\.1:\d+\//);
    expect(report.out).toMatch(
      /\n {2}FAIL {2}eventGrid\.callEvents +Event Grid delivers .*: subscription call-events-dev: its key no longer opens callEvents/,
    );
    expect(report.out).toMatch(/\n +fix: run the postdeploy hook/);
    expect(report.out).toMatch(/\n11 passed, 0 warning\(s\), 1 failed, 1 skipped$/);
    expectNoSecret(report);
    expect(report.out).not.toContain('stale-');
  });
});

describe('doctor against the local stack (npm start: no Event Grid, no Resource Manager)', () => {
  it('passes what it can check, skips the rest with the reason, and exits 0', async () => {
    const report = await localDoctor(appSettings);
    expect(report.code).toBe(0);
    expect(statuses(report)).toMatchObject({
      'app.answers': 'pass',
      'app.functions': 'pass',
      'app.settings': 'pass',
      'eventGrid.recordingFiles': 'skip',
      'eventGrid.callEvents': 'skip',
      'callback.recordingState': 'pass',
      'storage.containers': 'pass',
      'storage.queue': 'pass',
      'acs.access': 'pass',
      alerts: 'skip',
    });
    expect(report.checks['eventGrid.callEvents']!.detail).toMatch(/^there is no Event Grid locally/);
    expectNoSecret(report);
  });

  it('fails on a stale key in RECORDING_STATE_CALLBACK_URL, a missing queue and a refused ACS key', async () => {
    const broken = {
      ...appSettings,
      RECORDING_STATE_CALLBACK_URL: `${host.url}/api/recording-state?code=stale-${randomUUID()}`,
      ARCHIVE_QUEUE: `doc-missing-${id}`,
      ACS_CONNECTION_STRING: `endpoint=${emulator.endpoint};accesskey=${Buffer.from('not the key').toString('base64')}`,
    };
    const report = await localDoctor(broken);
    expect(report.code).toBe(1);
    expect(report.checks['callback.recordingState']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^its key no longer opens recordingState \(HTTP 401\)/),
    });
    expect(report.checks['storage.queue']).toMatchObject({
      status: 'fail',
      detail: `queue doc-missing-${id} does not exist: archiveRecording cannot hand chunks to archiveChunk`,
      fix: expect.stringContaining(`az storage queue create -n doc-missing-${id}`),
    });
    expect(report.checks['acs.access']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^ACS refused the app's access key \(ACS_CONNECTION_STRING\) for a start \(HTTP 401/,
      ),
    });
    expect(report.checks['app.answers']!.status).toBe('pass');
    expectNoSecret(report);
    expect(report.out).not.toContain('stale-');
  });

  it('names ARCHIVE_QUEUE when it is unset: the host has archiveChunk in error, and nothing copies', async () => {
    const bare = await startHostProcess(REPO_ROOT, {
      ...appSettings,
      ARCHIVE_QUEUE: undefined as unknown as string,
      LOCAL_HOST_KEYS: undefined as unknown as string,
    });
    try {
      const { ARCHIVE_QUEUE: _unset, LOCAL_HOST_KEYS: _keys, ...settings } = appSettings;
      const out: string[] = [];
      const io = {
        out: (l: string) => out.push(l),
        err: (l: string) => out.push(l),
        isTTY: false,
        env: settings,
        cwd: '/',
      };
      const code = await runCli(['doctor', '--json', '--app-url', bare.url], io);
      const checks = checksOf(out.join('\n'));
      expect(code).toBe(1);
      expect(checks['app.functions']).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^archiveChunk in error: .*'%ARCHIVE_QUEUE%' does not resolve to a value/),
        fix: expect.stringMatching(/^set the app setting ARCHIVE_QUEUE/),
      });
      expect(checks['app.settings']).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^ARCHIVE_QUEUE is not set/),
      });
    } finally {
      await bare.stop();
    }
  });

  it('fails app.answers, with how to start the stack, when nothing listens', async () => {
    const report = await localDoctor(appSettings, 'http://127.0.0.1:9');
    expect(report.checks['app.answers']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/gave no answer/),
      fix: expect.stringContaining('npm start'),
    });
  });
});

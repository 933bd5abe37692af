import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_DEQUEUE_COUNT } from '../../../shared/archive/chunkQueue';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { startHostProcess } from '../../helpers/hostProcess';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * Production wiring and local wiring must not drift apart: load the COMPILED app (dist/, as `func start` and Azure
 * load it through package.json `main`) through the @azure/functions-core stand-in, in a plain Node process, and
 * compare what registered with the function table of the contract (docs/architecture.md): names, triggers, routes, methods,
 * auth levels and the queue.
 */

const root = REPO_ROOT;

function registeredFunctions(env: Record<string, string> = {}): any[] {
  const script = `
    const { loadApp } = require(${JSON.stringify(path.join(root, 'dist-dev', 'dev', 'host', 'index.js'))});
    const fns = loadApp(${JSON.stringify(root)}).map(({ name, trigger, route, methods, authLevel, schedule, queueName, connection }) =>
      ({ name, trigger, route, methods: methods && [...methods].sort(), authLevel, schedule, queueName, connection }));
    process.stdout.write(JSON.stringify(fns));`;
  return JSON.parse(
    execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } }),
  );
}

describe('function registrations', () => {
  it('registers exactly the functions, triggers, routes, methods and auth levels of the contract', () => {
    const byName = Object.fromEntries(registeredFunctions().map((f) => [f.name, f]));
    expect(Object.keys(byName).sort()).toEqual([
      'archiveChunk',
      'archiveRecording',
      'callAutomationEvents',
      'callEvents',
      'console',
      'consoleApi',
      'participants',
      'recordingState',
      'recordings',
      'sweepArchives',
    ]);
    expect(byName.archiveRecording).toMatchObject({ trigger: 'eventGrid' });
    // A binding expression: the Functions host resolves it from the app setting when it indexes the function.
    expect(byName.archiveChunk).toMatchObject({
      trigger: 'storageQueue',
      queueName: '%ARCHIVE_QUEUE%',
      connection: 'AzureWebJobsStorage',
    });
    expect(byName.sweepArchives).toMatchObject({ trigger: 'timer', schedule: '0 */5 * * * *' });
    expect(byName.callEvents).toEqual(
      expect.objectContaining({
        trigger: 'http',
        route: 'call-events',
        methods: ['OPTIONS', 'POST'],
        authLevel: 'function',
      }),
    );
    expect(byName.callAutomationEvents).toEqual(
      expect.objectContaining({
        trigger: 'http',
        route: 'call-automation-events',
        methods: ['POST'],
        authLevel: 'function',
      }),
    );
    expect(byName.recordingState).toEqual(
      expect.objectContaining({ trigger: 'http', route: 'recording-state', methods: ['POST'], authLevel: 'function' }),
    );
    expect(byName.recordings).toEqual(
      expect.objectContaining({
        trigger: 'http',
        route: 'recordings/{serverCallId?}/{action?}',
        methods: ['DELETE', 'GET', 'POST'],
        authLevel: 'function',
      }),
    );
    expect(byName.participants).toEqual(
      expect.objectContaining({
        trigger: 'http',
        route: 'participants/{participantId}/{view?}',
        methods: ['GET'],
        authLevel: 'function',
      }),
    );
    // The console's page and assets hold no data and load before any key could be sent; its API needs the key (and,
    // in Azure, the signed-in caller's app role).
    expect(byName.console).toEqual(
      expect.objectContaining({
        trigger: 'http',
        route: 'console/ui/{*asset}',
        methods: ['GET'],
        authLevel: 'anonymous',
      }),
    );
    expect(byName.consoleApi).toEqual(
      expect.objectContaining({
        trigger: 'http',
        route: 'console/api/{*path}',
        methods: ['GET', 'POST'],
        authLevel: 'function',
      }),
    );
  });

  it('registers every function whatever the settings hold: nothing is read while the app loads', () => {
    const names = (env: Record<string, string>) => registeredFunctions(env).map((f) => f.name);
    const all = names({});
    expect(all).toHaveLength(10);
    // An invalid queue name used to throw while the app loaded, and then no function registered at all.
    expect(names({ ARCHIVE_QUEUE: 'Not A Queue!' })).toEqual(all);
    expect(names({ ARCHIVE_QUEUE: 'x', ACS_CONNECTION_STRING: 'nonsense', ARCHIVE_CONTAINER: '-' })).toEqual(all);
  });

  it('listens on the queue ARCHIVE_QUEUE names; without the setting only archiveChunk is in error, as in Azure', async () => {
    const named = await startHostProcess(root, {
      ARCHIVE_QUEUE: 'copies-east',
      AzureWebJobsStorage: azuriteConnectionString(),
    });
    try {
      expect(named.lines.join('\n')).toContain('archiveChunk: queue copies-east (%ARCHIVE_QUEUE%)');
      expect(await (await fetch(`${named.url}/admin/functions/archiveChunk/status`)).json()).toEqual({});
    } finally {
      await named.stop();
    }
    // NOTE: an undefined value leaves the variable out of the child's environment (Node's spawn ignores it), so a
    // developer's own ARCHIVE_QUEUE cannot leak in.
    const unset = await startHostProcess(root, {
      ARCHIVE_QUEUE: undefined as unknown as string,
      AzureWebJobsStorage: azuriteConnectionString(),
    });
    try {
      expect(unset.lines.join('\n')).toContain(
        "The 'archiveChunk' function is in error: Microsoft.Azure.WebJobs.Host: Error indexing method " +
          "'Functions.archiveChunk'. Microsoft.Azure.WebJobs.Host: '%ARCHIVE_QUEUE%' does not resolve to a value.",
      );
      const status = (await (await fetch(`${unset.url}/admin/functions/archiveChunk/status`)).json()) as any;
      expect(status.errors).toEqual([expect.stringContaining("'%ARCHIVE_QUEUE%' does not resolve to a value.")]);
      expect(await (await fetch(`${unset.url}/admin/functions/callEvents/status`)).json()).toEqual({});
      // The other functions are routed and run (whatever they answer without their settings).
      expect((await fetch(`${unset.url}/api/recordings?serverCallId=abc`)).status).not.toBe(404);
    } finally {
      await unset.stop();
    }
  });

  it('has host.json give up on a message exactly when the copier says it is going to the poison queue', () => {
    const host = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8'));
    expect(host.extensions.queues).toMatchObject({ maxDequeueCount: MAX_DEQUEUE_COUNT, messageEncoding: 'base64' });
  });

  it('points package.json main at the compiled function files', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('dist/functions/*.js');
  });
});

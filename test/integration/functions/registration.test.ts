import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_DEQUEUE_COUNT } from '../../../shared/archive/chunkQueue';
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
    const { ARCHIVE_QUEUE: _unset, ...env } = process.env;
    const byName = Object.fromEntries(registeredFunctions(env as Record<string, string>).map((f) => [f.name, f]));
    expect(Object.keys(byName).sort()).toEqual([
      'archiveChunk',
      'archiveRecording',
      'callAutomationEvents',
      'callEvents',
      'participants',
      'recordingState',
      'recordings',
      'sweepArchives',
    ]);
    expect(byName.archiveRecording).toMatchObject({ trigger: 'eventGrid' });
    expect(byName.archiveChunk).toMatchObject({
      trigger: 'storageQueue',
      queueName: 'archive-chunks',
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
        route: 'participants/{participantId}/recordings',
        methods: ['GET'],
        authLevel: 'function',
      }),
    );
  });

  it('listens on the queue ARCHIVE_QUEUE names, the one the app enqueues to', () => {
    const byName = Object.fromEntries(registeredFunctions({ ARCHIVE_QUEUE: 'copies-east' }).map((f) => [f.name, f]));
    expect(byName.archiveChunk.queueName).toBe('copies-east');
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

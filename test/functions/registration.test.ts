import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Production wiring and local wiring must not drift apart: load the COMPILED app (dist/, as `func start` and Azure
 * load it through package.json `main`) through the @azure/functions-core stand-in, in a plain Node process, and
 * compare what registered with the function table of SPEC section 8.
 */

const root = path.join(__dirname, '..', '..');

function registeredFunctions(): any[] {
  const script = `
    const { loadApp } = require(${JSON.stringify(path.join(root, 'dist', 'dev', 'host', 'localHost.js'))});
    const fns = loadApp(${JSON.stringify(root)}).map(({ name, trigger, route, methods, authLevel, schedule }) =>
      ({ name, trigger, route, methods: methods && [...methods].sort(), authLevel, schedule }));
    process.stdout.write(JSON.stringify(fns));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }));
}

describe('function registrations', () => {
  it('registers exactly the functions, triggers, routes and methods of the contract', () => {
    const byName = Object.fromEntries(registeredFunctions().map((f) => [f.name, f]));
    expect(Object.keys(byName).sort()).toEqual([
      'archiveRecording',
      'callEvents',
      'recordingState',
      'recordings',
      'sweepArchives',
    ]);
    expect(byName.archiveRecording).toMatchObject({ trigger: 'eventGrid' });
    expect(byName.sweepArchives).toMatchObject({ trigger: 'timer', schedule: '0 */5 * * * *' });
    expect(byName.callEvents).toMatchObject({ trigger: 'http', route: 'call-events', methods: ['OPTIONS', 'POST'] });
    expect(byName.recordingState).toMatchObject({ trigger: 'http', route: 'recording-state', methods: ['POST'] });
    expect(byName.recordings).toMatchObject({
      trigger: 'http',
      methods: ['DELETE', 'GET', 'POST'],
      authLevel: 'function',
    });
    expect(byName.recordings.route).toMatch(/^recordings\//);
  });

  it('points package.json main at the compiled function files', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('dist/functions/*.js');
  });
});

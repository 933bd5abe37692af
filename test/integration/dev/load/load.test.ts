import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as azurite from '../../../../dev/azurite';
import * as emulator from '../../../../dev/emulator';
import type { HostProcess } from '../../../../dev/host';
import { HostSupervisor, runLoad } from '../../../../dev/load/load';
import { HOST_APP } from '../../../helpers/paths';
import { eventually } from '../../../helpers/eventually';

/** The load run's own machinery (test/load/load.test.ts runs the load itself): its host supervisor and its clean-up. */

const appRoot = HOST_APP;
const fixtureLog = path.join(mkdtempSync(path.join(os.tmpdir(), 'cra-load-host-')), 'handlers.jsonl');
const exited = (host: HostProcess) => host.child.exitCode !== null || host.child.signalCode !== null;

afterEach(() => jest.restoreAllMocks());

describe('HostSupervisor', () => {
  it('restarts a killed host on the same port', async () => {
    const supervisor = new HostSupervisor(appRoot, { FIXTURE_LOG: fixtureLog }, () => undefined);
    await supervisor.start();
    try {
      const first = await supervisor.host;
      await supervisor.killAndRestart(0);
      const second = await supervisor.host;
      expect([supervisor.restarts, exited(first), exited(second), second.url]).toEqual([1, true, false, first.url]);
      expect((await fetch(`${second.url}/api/open`)).status).toBe(200);
    } finally {
      await supervisor.stop();
    }
  });

  it('stop() waits for a restart under way and stops the host it started', async () => {
    let stopped: Promise<void> | undefined;
    const supervisor: HostSupervisor = new HostSupervisor(appRoot, { FIXTURE_LOG: fixtureLog }, (line) => {
      // Stop between the kill and the new host's start.
      if (line.startsWith('killed the host')) stopped = supervisor.stop();
    });
    await supervisor.start();
    const first = await supervisor.host;
    const restart = supervisor.killAndRestart(0);
    await eventually('the kill', () => stopped !== undefined);
    await stopped;
    const last = await supervisor.host;
    expect([last === first, exited(first), exited(last)]).toEqual([false, true, true]);
    await restart;
  });
});

describe('runLoad', () => {
  it('stops its Azurite and removes its folder when the emulator does not start', async () => {
    const started: azurite.AzuriteHandle[] = [];
    const startAzurite = azurite.startAzurite;
    jest.spyOn(azurite, 'startAzurite').mockImplementation(async (options) => {
      const handle = await startAzurite(options);
      started.push(handle);
      return handle;
    });
    jest.spyOn(emulator, 'startEmulator').mockRejectedValue(new Error('the emulator could not start'));
    const options = { recordings: 1, inFlight: 1, duplicateRate: 0, faultRate: 0, kills: 0, maxChunks: 1 };
    await expect(runLoad({ ...options, maxChunkBytes: 1024 })).rejects.toThrow('the emulator could not start');
    expect(started).toHaveLength(1);
    const [handle] = started;
    expect(handle!.processes.map((p) => p.exitCode !== null || p.signalCode !== null)).toEqual([true, true]);
    expect(existsSync(path.dirname(handle!.location))).toBe(false);
  }, 60_000);
});

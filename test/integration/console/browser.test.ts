import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Browser } from 'playwright-core';
import { eventually } from '../../helpers/eventually';

/**
 * The console in a real browser (headless Chromium, driven by playwright-core) against the stack `npm start` runs:
 * Azurite, the ACS emulator and the local host with keys enforced, one unmixed WAV call played through it. CI
 * installs Debian's `chromium` (.ci/run); elsewhere the test is skipped, saying so, when no browser is found.
 */

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const chromiumPath = CANDIDATES.find((p): p is string => Boolean(p) && existsSync(p!));
const inCi = Boolean(process.env.CI);
if (!chromiumPath && !inCi) {
  console.warn(
    'SKIPPED the console browser tests: no Chromium at /usr/bin/chromium (apt-get install -y chromium, or set CHROMIUM_PATH)',
  );
}
const describeInBrowser = chromiumPath || inCi ? describe : describe.skip;
const ROOT = path.resolve(__dirname, '../../..');
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describeInBrowser('the archive console in a browser', () => {
  let stack: ChildProcess;
  let output = '';
  let consoleUrl: string;
  let callId: string;
  let participantId: string;
  let blobPort: number;
  let browser: Browser;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'console-stack-'));

  beforeAll(async () => {
    if (!chromiumPath) throw new Error('CI must have Chromium: .ci/run installs it with apt-get install -y chromium');
    const [port, blob, queue, acs, acsStorage, acsRegional] = await Promise.all(Array.from({ length: 6 }, freePort));
    blobPort = blob!;
    stack = spawn(process.execPath, [path.join(ROOT, 'dist-dev/dev/start.js'), '--scenario=unmixed-wav'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        AZURITE_BLOB_PORT: String(blob),
        AZURITE_QUEUE_PORT: String(queue),
        ACS_EMULATOR_PORT: String(acs),
        ACS_EMULATOR_STORAGE_PORT: String(acsStorage),
        ACS_EMULATOR_REGIONAL_PORT: String(acsRegional),
        START_AZURITE_LOCATION: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout!.on('data', (piece: Buffer) => (output += piece.toString('utf8')));
    stack.stderr!.on('data', (piece: Buffer) => (output += piece.toString('utf8')));
    await eventually(
      'npm start to archive its call',
      () => output.includes('Still serving') || stack.exitCode !== null,
      170_000,
    );
    if (stack.exitCode !== null) throw new Error(`the stack exited:\n${output.slice(-3000)}`);
    consoleUrl = /Archive console\s+(\S+)/.exec(output)![1]!;
    callId = /archived\s+recordings\/([^/]+)\//.exec(output)![1]!;
    participantId = /channel 0\s+(\S+)/.exec(output)![1]!;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--autoplay-policy=no-user-gesture-required'],
    });
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    if (stack && stack.exitCode === null) {
      const exited = new Promise((resolve) => stack.once('exit', resolve));
      stack.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses the API without a key, with no data', async () => {
    const api = new URL('../api/recordings', consoleUrl);
    api.search = '';
    const response = await fetch(api);
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(callId);
  });

  it('lists the played call, finds it by an upper-case participant id, shows its chunks and plays them, audited', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(consoleUrl);
    await page.waitForSelector(`#recordings tr[data-call-id="${callId}"]`);

    // Someone who was not in the call finds nothing.
    await page.fill('input[name="participantId"]', '8:acs:00000000-0000-4000-8000-000000000000');
    await page.click('form.filters button[type="submit"]');
    await page.waitForSelector('text=0 recording(s).');
    expect(await page.locator('#recordings tbody tr').count()).toBe(0);

    // The same person however the id is typed: the GUID in upper case, the prefix too.
    await page.fill('input[name="participantId"]', participantId.toUpperCase());
    await page.click('form.filters button[type="submit"]');
    await page.waitForSelector(`#recordings tr[data-call-id="${callId}"]`);
    expect(await page.locator('#recordings tbody tr').count()).toBe(1);

    await page.click(`#recordings tr[data-call-id="${callId}"] a`);
    await page.waitForSelector('#timeline .chunk');
    const rows = await page.locator('#chunks tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    expect(await page.locator('#timeline .chunk').count()).toBe(rows);
    expect(await page.locator('#channels tbody tr').count()).toBe(2);

    await page.click('#play-all');
    const player = page.locator('#player');
    await eventually(
      'the audio element to play',
      async () => (await player.evaluate((media) => (media as unknown as { currentTime: number }).currentTime)) > 0.2,
      20_000,
    );

    const audit = BlobServiceClient.fromConnectionString(
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${blobPort}/devstoreaccount1;`,
    ).getContainerClient('recording-audit');
    const played = await eventually('the access record of the playback', async () => {
      for await (const item of audit.listBlobsFlat({ prefix: `access/${callId}/`, includeMetadata: true })) {
        if (item.metadata?.action === 'play') return item.name;
      }
      return undefined;
    });
    expect(played).toMatch(new RegExp(`^access/${callId}/`));
    await page.close();
  });
});

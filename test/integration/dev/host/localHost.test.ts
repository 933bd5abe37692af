import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { matchRoute, nextOccurrence, parseSchedule, spawnLocalHost } from '../../../../dev/host';
import { startHostProcess, type HostProcess } from '../../../helpers/hostProcess';
import { HOST_APP, REPO_ROOT } from '../../../helpers/paths';
import { eventually } from '../../../helpers/eventually';

/**
 * The local host serving a small fixture app (test/fixtures/host-app), in its own process like `npm run serve`, with
 * no keys configured (as `func start`) and no storage settings (so its queue functions are in error).
 */

const appRoot = HOST_APP;
const fixtureLog = path.join(mkdtempSync(path.join(os.tmpdir(), 'cra-host-')), 'handlers.jsonl');

let host: HostProcess;
let startup: string;
beforeAll(async () => {
  host = await startHostProcess(appRoot, { FIXTURE_LOG: fixtureLog });
  startup = host.lines.join('\n'); // the listing comes before 'Host listening on', which startHostProcess waits for
});
afterAll(async () => host.stop());
beforeEach(() => {
  rmSync(fixtureLog, { force: true });
  host.lines.length = 0;
});

/** What the fixture's handlers recorded. */
function handled(): any[] {
  if (!existsSync(fixtureLog)) return [];
  return readFileSync(fixtureLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
const events = () =>
  handled()
    .filter((h) => h.event)
    .map((h) => h.event);
const lines = { join: (sep: string) => host.lines.join(sep) };

const eventGridUrl = (name: string) => `${host.url}/runtime/webhooks/eventgrid?functionName=${name}`;
const egEvent = (id: string, subject = 'ok') => ({
  id,
  subject,
  eventType: 'Contoso.Items.ItemReceived',
  eventTime: '2026-11-23T12:00:00Z',
  data: { n: 1 },
  dataVersion: '1.0',
  metadataVersion: '1',
  topic: '/subscriptions/x',
});

describe('local Functions host', () => {
  it('lists what the app registered', async () => {
    const listed = await (await fetch(`${host.url}/admin/host/status`)).json();
    const names = ['onEvent', 'tick', 'items', 'restricted', 'open', 'queueWork', 'queueLiteral'];
    expect(listed).toEqual({ state: 'Running', functions: names });
    expect(host.functions).toEqual(names);
    expect(startup).toContain(`onEvent: ${host.url}/runtime/webhooks/eventgrid?functionName=onEvent`);
    expect(startup).toContain(`tick: timer 0 0 0 1 1 * (run now: POST ${host.url}/admin/functions/tick)`);
    expect(startup).toContain(`items: [GET,POST,DELETE] ${host.url}/api/items/{id?}/{action?}`);
    expect(startup).toContain('queueWork: queue %FIXTURE_QUEUE% (unresolved) (connection AzureWebJobsStorage)');
    expect(startup).toContain('queueLiteral: queue fixture-literal (connection FixtureLiteralStorage)');
  });

  it('reports a queue function whose queue name or connection does not resolve as in error, and serves the rest', async () => {
    // The host's wording (azure-webjobs-sdk FunctionIndexer, NameResolverExtensions; azure-functions-host ScriptHost).
    expect(startup).toContain("[Warning] Function 'queueWork' failed indexing and will be disabled.");
    expect(startup).toContain(
      "[Error] The 'queueWork' function is in error: Microsoft.Azure.WebJobs.Host: Error indexing method " +
        "'Functions.queueWork'. Microsoft.Azure.WebJobs.Host: '%FIXTURE_QUEUE%' does not resolve to a value.",
    );
    expect(startup).toMatch(
      /\[Error\] The 'queueLiteral' function is in error: .*Storage account connection string 'FixtureLiteralStorage' does not exist\./,
    );
    // GET /admin/functions/NAME/status, as the host's FunctionsController answers it.
    const status = async (name: string) => {
      const response = await fetch(`${host.url}/admin/functions/${name}/status`);
      return { status: response.status, body: response.status === 200 ? await response.json() : undefined };
    };
    expect(await status('queueWork')).toEqual({
      status: 200,
      body: { errors: [expect.stringContaining("'%FIXTURE_QUEUE%' does not resolve to a value.")] },
    });
    expect(await status('tick')).toEqual({ status: 200, body: {} });
    expect((await status('nothing')).status).toBe(404);
  });

  it('answers an encoded / or \\ inside a route segment with 404, as Azure does (its front end decodes them first)', async () => {
    // items/{id?}/{action?}: one encoded '/' moves the rest into {action}; two leave no route.
    const items = async (path: string) => (await fetch(`${host.url}/api/items/${path}`)).json() as Promise<any>;
    expect((await items('a%2Fb')).params).toEqual({ id: 'a', action: 'b' });
    expect((await items('a%5cb')).params).toEqual({ id: 'a', action: 'b' });
    for (const path of ['a%2Fb%2Fc', 'a%2fb/c', 'a%5Cb%5Cc', 'a/b%2Fc']) {
      expect({ path, status: (await fetch(`${host.url}/api/items/${path}`)).status }).toEqual({ path, status: 404 });
    }
    expect((await items('a%2Bb%3D%3D')).params).toEqual({ id: 'a+b==' });
  });

  it('enforces no keys when none are configured, as func start', async () => {
    expect((await fetch(`${host.url}/api/items/1`)).status).toBe(200); // authLevel function
    expect((await fetch(`${host.url}/api/restricted`)).status).toBe(200); // authLevel admin
    expect((await fetch(`${host.url}/admin/host/status`)).status).toBe(200);
  });

  it('serves HTTP triggers with route parameters, query, body and the real HttpRequest class', async () => {
    const response = await fetch(`${host.url}/api/items/42/archive?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-fixture')).toBe('yes');
    const body = (await response.json()) as any;
    expect(body).toMatchObject({
      method: 'POST',
      params: { id: '42', action: 'archive' },
      query: { x: '1' },
      body: 'hello',
      isHttpRequest: 'HttpRequest',
      functionName: 'items',
      contentType: 'text/plain',
    });
    expect(lines.join('\n')).toMatch(new RegExp(`\\[Information\\] items \\(${body.invocationId}\\): items POST 42`));
    expect(lines.join('\n')).toMatch(
      /Executing 'items' \(Reason='This function was programmatically called via the host APIs\.', Id=[0-9a-f-]{36}\)/,
    );
    expect(lines.join('\n')).toMatch(/Executed 'items' \(Succeeded, Id=.*, Duration=\d+ms\)/);
    expect((await fetch(`${host.url}/api/items`)).status).toBe(200);
  });

  it('answers 405 for a method the route does not take, 404 for no route, 500 without details when a handler throws', async () => {
    expect((await fetch(`${host.url}/api/items/1`, { method: 'PUT' })).status).toBe(405);
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/items/1/a/b`)).status).toBe(404);
    const failed = await fetch(`${host.url}/api/items/boom`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('');
    expect(lines.join('\n')).toMatch(/Executed 'items' \(Failed/);
  });

  it('answers the Event Grid subscription handshake', async () => {
    const response = await fetch(eventGridUrl('onEvent'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          id: 'v1',
          topic: '/subscriptions/x',
          subject: '',
          data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://example/validate' },
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: '2026-11-23T12:00:00Z',
          metadataVersion: '1',
          dataVersion: '1',
        },
      ]),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(events()).toEqual([]);
  });

  it('invokes once per event of a notification, single or array, in either schema; 202', async () => {
    const single = await fetch(eventGridUrl('onEvent'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify(egEvent('a')),
    });
    expect(single.status).toBe(202);
    const array = await fetch(eventGridUrl('onEvent'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify([egEvent('b'), egEvent('c')]),
    });
    expect(array.status).toBe(202);
    const cloud = {
      specversion: '1.0',
      id: 'd',
      source: '/x',
      type: 'Contoso.Items.ItemReceived',
      time: '2026-11-23T12:00:00Z',
      data: {},
    };
    const ce = await fetch(eventGridUrl('onEvent'), {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(cloud),
    });
    expect(ce.status).toBe(202);
    expect(events().map((e) => e.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(events()[3]).toEqual(cloud);
  });

  it('answers 500 when any invocation throws, after running all of them', async () => {
    const response = await fetch(eventGridUrl('onEvent'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify([egEvent('1'), egEvent('2', 'fail'), egEvent('3')]),
    });
    expect(response.status).toBe(500);
    expect(events().map((e) => e.id)).toEqual(['1', '2', '3']);
  });

  it('follows the host for Unsubscribe, unknown types, unknown functions, bad JSON and OPTIONS', async () => {
    const post = (name: string, headers: Record<string, string>, body = '[]') =>
      fetch(eventGridUrl(name), { method: 'POST', headers, body });
    expect((await post('onEvent', { 'aeg-event-type': 'Unsubscribe' })).status).toBe(202);
    expect((await post('onEvent', { 'aeg-event-type': 'SomethingElse' })).status).toBe(400);
    expect((await post('onEvent', {})).status).toBe(400);
    expect((await post('noSuchFunction', { 'aeg-event-type': 'Notification' })).status).toBe(404);
    expect((await post('items', { 'aeg-event-type': 'Notification' })).status).toBe(404); // not an Event Grid trigger
    expect((await post('onEvent', { 'aeg-event-type': 'Notification' }, '{not json')).status).toBe(400);
    const options = await fetch(eventGridUrl('onEvent'), {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    expect(events()).toEqual([]);
  });

  it('runs a timer on demand through POST /admin/functions/NAME with the real timer shape', async () => {
    expect((await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', body: '{"input":""}' })).status).toBe(
      202,
    );
    await eventually('the timer to run', () => handled().length > 0);
    expect(handled()[0]).toEqual({
      name: 'tick',
      timer: { schedule: { adjustForDST: true }, scheduleStatus: null, isPastDue: false },
    });
    expect((await fetch(`${host.url}/admin/functions/none`, { method: 'POST' })).status).toBe(404);
  });
});

describe('disabled functions', () => {
  it('does not serve a function its AzureWebJobs.<name>.Disabled setting turns off, as the real host', async () => {
    const disabled = await startHostProcess(appRoot, { FIXTURE_LOG: fixtureLog, 'AzureWebJobs.open.Disabled': 'true' });
    try {
      expect(disabled.lines.join('\n')).toMatch(/Function 'open' is disabled/);
      expect((await fetch(`${disabled.url}/api/open`)).status).toBe(404);
      expect((await fetch(`${disabled.url}/api/items/1`)).status).toBe(200);
    } finally {
      await disabled.stop();
    }
  });
});

describe('local.settings.json', () => {
  /** The fixture app in a folder of its own, with a developer's local.settings.json that turns `open` off. */
  function appWithLocalSettings(): string {
    const root = mkdtempSync(path.join(os.tmpdir(), 'cra-app-'));
    cpSync(appRoot, root, { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    const values = { 'AzureWebJobs.open.Disabled': 'true' };
    writeFileSync(path.join(root, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: values }));
    return root;
  }

  it('is not read by a spawned host unless asked for: a test gets exactly the settings it sets', async () => {
    const root = appWithLocalSettings();
    try {
      const spawned = await startHostProcess(root, { FIXTURE_LOG: fixtureLog });
      try {
        expect((await fetch(`${spawned.url}/api/open`)).status).toBe(200);
        expect(spawned.lines.join('\n')).not.toMatch(/local\.settings\.json|is disabled/);
      } finally {
        await spawned.stop();
      }
      // What `npm run serve` and `npm start` do: the file's Values fill in what the environment does not set.
      const serve = await spawnLocalHost({ appRoot: root, env: { FIXTURE_LOG: fixtureLog }, localSettings: true });
      try {
        expect((await fetch(`${serve.url}/api/open`)).status).toBe(404);
        expect(serve.lines.join('\n')).toMatch(/Function 'open' is disabled/);
      } finally {
        await serve.stop();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('starting the host process', () => {
  it('kills a host that does not come up in time, and says why', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'cra-app-'));
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ main: 'hang.js' }));
    // An app whose loading never ends (it prints its pid first, so the test can look for the process afterwards).
    writeFileSync(
      path.join(root, 'hang.js'),
      "require('node:fs').writeSync(1, `fixture pid ${process.pid}\\n`);\n" +
        'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);\n',
    );
    const lines: string[] = [];
    let pid = 0;
    try {
      const started = spawnLocalHost({ appRoot: root, startTimeoutMs: 1500, onLine: (line) => lines.push(line) });
      await expect(started).rejects.toThrow(/no host line matched .*Host listening/);
      pid = Number(/^fixture pid (\d+)$/m.exec(lines.join('\n'))?.[1]);
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(false);
    } finally {
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('starts on another port when the one chosen for it was taken before the host could bind it', async () => {
    const ports: number[] = [];
    const squatter = createServer();
    const host = await startHostProcess(appRoot, (port) => {
      if (ports.push(port) === 1) squatter.listen(port, '127.0.0.1');
      return { FIXTURE_LOG: fixtureLog };
    });
    try {
      expect(ports).toHaveLength(2);
      expect(host.url).toBe(`http://127.0.0.1:${ports[1]}`);
      expect((await fetch(`${host.url}/api/open`)).status).toBe(200);
    } finally {
      await host.stop();
      squatter.close();
    }
  });
});

/** Whether a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('host helpers', () => {
  it('matches route templates like the Functions host', () => {
    expect(matchRoute('recordings/{serverCallId?}/{action?}', 'recordings')).toEqual({});
    expect(matchRoute('recordings/{serverCallId?}/{action?}', 'Recordings/abc/pause')).toEqual({
      serverCallId: 'abc',
      action: 'pause',
    });
    expect(matchRoute('recordings/{serverCallId?}/{action?}', 'recordings/a/b/c')).toBeNull();
    expect(matchRoute('call-events', 'call-events')).toEqual({});
    expect(matchRoute('items/{id:int}', 'items/x')).toBeNull();
    expect(matchRoute('items/{id:int}', 'items/12')).toEqual({ id: '12' });
    expect(matchRoute('files/{*path}', 'files/a/b%20c')).toEqual({ path: 'a/b c' });
  });

  it('parses NCRONTAB schedules', () => {
    const every5 = parseSchedule('0 */5 * * * *');
    expect(nextOccurrence(every5, new Date(2026, 10, 23, 12, 3, 7))).toEqual(new Date(2026, 10, 23, 12, 5, 0));
    const weekdays = parseSchedule('30 15 9 * * 1-5');
    expect(nextOccurrence(weekdays, new Date(2026, 10, 21, 0, 0, 0))).toEqual(new Date(2026, 10, 23, 9, 15, 30)); // Sat -> Mon
    expect(nextOccurrence(parseSchedule('0 * * * *'), new Date(2026, 0, 1, 0, 30))).toEqual(
      new Date(2026, 0, 1, 1, 0, 0),
    );
    expect(() => parseSchedule('* * *')).toThrow(/6 fields/);
    expect(() => parseSchedule('61 * * * * *')).toThrow(/out of range/);
  });
});

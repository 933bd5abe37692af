import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHostProcess, type HostProcess } from '../../../helpers/hostProcess';
import { HOST_APP } from '../../../helpers/paths';
import { eventually } from '../../../helpers/eventually';

/**
 * Access keys in the local host, opt-in through LOCAL_HOST_KEYS, checked as the Functions host checks them
 * (learn.microsoft.com "Azure Functions HTTP trigger" authorization levels, "Work with access keys"): `function` needs
 * the function's key, a host key or the master key; `admin` the master key; `anonymous` nothing; the admin API the
 * master key; the Event Grid webhook its extension's system key `eventgrid_extension`. Keys come as `?code=` or the
 * `x-functions-key` header.
 */

const appRoot = HOST_APP;
const keys = {
  master: 'master-key-for-tests',
  host: { default: 'host-key-for-tests' },
  functions: { items: 'items-key-for-tests', restricted: 'restricted-function-key-for-tests' },
  system: { eventgrid_extension: 'eventgrid-key-for-tests' },
};

let host: HostProcess;
beforeAll(async () => {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'cra-keys-')), 'handlers.jsonl');
  host = await startHostProcess(appRoot, { FIXTURE_LOG: log, LOCAL_HOST_KEYS: JSON.stringify(keys) });
});
afterAll(async () => host?.stop());

const get = (route: string, key?: string, as: 'code' | 'header' = 'code') =>
  fetch(
    `${host.url}${route}${key && as === 'code' ? `${route.includes('?') ? '&' : '?'}code=${encodeURIComponent(key)}` : ''}`,
    { headers: key && as === 'header' ? { 'x-functions-key': key } : {} },
  );
const status = async (response: Promise<Response>) => (await response).status;

describe('function keys (LOCAL_HOST_KEYS)', () => {
  it('authLevel function: 401 without the key or with a wrong one, 200 with its own, a host or the master key', async () => {
    expect(await status(get('/api/items/1'))).toBe(401);
    expect(await status(get('/api/items/1', 'not-a-key'))).toBe(401);
    expect(await status(get('/api/items/1', keys.functions.restricted))).toBe(401); // another function's key
    expect(await status(get('/api/items/1', keys.system.eventgrid_extension))).toBe(401); // a system key
    expect(await status(get('/api/items/1', keys.functions.items))).toBe(200);
    expect(await status(get('/api/items/1', keys.functions.items, 'header'))).toBe(200);
    expect(await status(get('/api/items/1', keys.host.default))).toBe(200);
    expect(await status(get('/api/items/1', keys.master))).toBe(200);
    const refused = await get('/api/items/1');
    expect(await refused.text()).toBe('');
  });

  it('authLevel admin: only the master key', async () => {
    expect(await status(get('/api/restricted'))).toBe(401);
    expect(await status(get('/api/restricted', keys.functions.restricted))).toBe(401);
    expect(await status(get('/api/restricted', keys.host.default))).toBe(401);
    expect(await status(get('/api/restricted', keys.master, 'header'))).toBe(200);
  });

  it('authLevel anonymous: no key needed', async () => {
    expect(await status(get('/api/open'))).toBe(200);
  });

  it('the admin API needs the master key', async () => {
    expect(await status(get('/admin/host/status'))).toBe(401);
    expect(await status(get('/admin/host/status', keys.host.default))).toBe(401);
    expect(await status(get('/admin/host/status', keys.master))).toBe(200);
    const run = (key?: string) =>
      fetch(`${host.url}/admin/functions/tick`, {
        method: 'POST',
        headers: key ? { 'x-functions-key': key } : {},
        body: '{"input":""}',
      });
    expect(await status(run())).toBe(401);
    expect(await status(run(keys.functions.items))).toBe(401);
    expect(await status(run(keys.master))).toBe(202);
  });

  it('the Event Grid webhook needs the eventgrid_extension system key (or the master key)', async () => {
    // The subscription handshake as Event Grid sends it (learn.microsoft.com "Receive events from Azure Event Grid to
    // an HTTP endpoint": SubscriptionValidationEvent).
    const handshake = (key?: string) =>
      fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=onEvent${key ? `&code=${key}` : ''}`, {
        method: 'POST',
        headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
            topic: '/subscriptions/xx/resourceGroups/xx/providers/Microsoft.Storage/storageAccounts/xx',
            subject: '',
            data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' },
            eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
            eventTime: '2018-01-25T22:12:19.4556811Z',
            metadataVersion: '1',
            dataVersion: '1',
          },
        ]),
      });
    expect(await status(handshake())).toBe(401);
    expect(await status(handshake(keys.functions.items))).toBe(401);
    expect(await status(handshake(keys.host.default))).toBe(401);
    expect(await status(handshake(keys.system.eventgrid_extension))).toBe(200);
    expect(await status(handshake(keys.master))).toBe(200);
  });

  it('never writes a key into the log', async () => {
    await eventually('the timer run', () => host.lines.some((l) => l.includes("Executed 'tick'")));
    const log = host.lines.join('\n');
    for (const key of [
      keys.master,
      keys.host.default,
      ...Object.values(keys.functions),
      keys.system.eventgrid_extension,
    ])
      expect(log).not.toContain(key);
  });

  it('refuses to start with keys it cannot use, naming the setting', async () => {
    await expect(startHostProcess(appRoot, { LOCAL_HOST_KEYS: '{"master": ""}' })).rejects.toThrow(
      /LOCAL_HOST_KEYS: master must be a non-empty string/,
    );
    await expect(startHostProcess(appRoot, { LOCAL_HOST_KEYS: '{not json' })).rejects.toThrow(
      /LOCAL_HOST_KEYS is not readable JSON/,
    );
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RandomizedExponentialBackoff } from '../../../../dev/host/backoff';
import { accessForAuthLevel, isAuthorized, loadKeys, presentedKey } from '../../../../dev/host/keys';
import type { HostState, LoadedFunction } from '../../../../dev/host/hostState';
import { indexFunctions, runnable } from '../../../../dev/host/indexing';
import { matchRoute, routingPath } from '../../../../dev/host/routes';
import {
  decodeMessageText,
  poisonQueueName,
  toNewtonsoftDate,
  toTriggerMetadata,
} from '../../../../dev/host/queueMessages';
import {
  isValidQueueName,
  logLevelEnabled,
  parseTimeSpan,
  queueOptions,
  resolveBindingExpression,
  storageConnectionString,
  withOverrides,
} from '../../../../dev/host/settings';

/** The local host's pure rules: host.json settings, polling backoff, message conversion, keys. No servers. */

describe('host.json queue settings (the Storage extension QueuesOptions)', () => {
  it('defaults: batchSize 16, newBatchThreshold batchSize/2 x processors, 1 min polling, 0 visibility, 5, base64', () => {
    expect(queueOptions({}, 2)).toEqual({
      batchSize: 16,
      newBatchThreshold: 16,
      maxPollingIntervalMs: 60_000,
      visibilityTimeoutMs: 0,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
    });
    expect(queueOptions({ extensions: { queues: { batchSize: 5 } } }, 4).newBatchThreshold).toBe(8);
  });

  it('reads the documented host.json example', () => {
    // learn.microsoft.com "Azure Queue storage trigger and bindings for Azure Functions", host.json settings.
    const hostJson = {
      version: '2.0',
      extensions: {
        queues: {
          maxPollingInterval: '00:00:02',
          visibilityTimeout: '00:00:30',
          batchSize: 16,
          maxDequeueCount: 5,
          newBatchThreshold: 8,
          messageEncoding: 'base64',
        },
      },
    };
    expect(queueOptions(hostJson, 2)).toEqual({
      batchSize: 16,
      newBatchThreshold: 8,
      maxPollingIntervalMs: 2000,
      visibilityTimeoutMs: 30_000,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
    });
  });

  it('refuses what the extension refuses, naming the setting', () => {
    const queues = (q: object) => ({ extensions: { queues: q } });
    expect(() => queueOptions(queues({ batchSize: 33 }))).toThrow(/extensions\.queues\.batchSize/);
    expect(() => queueOptions(queues({ batchSize: 0 }))).toThrow(/extensions\.queues\.batchSize/);
    expect(() => queueOptions(queues({ maxDequeueCount: 0 }))).toThrow(/extensions\.queues\.maxDequeueCount/);
    expect(() => queueOptions(queues({ newBatchThreshold: -1 }))).toThrow(/newBatchThreshold/);
    expect(() => queueOptions(queues({ maxPollingInterval: '00:00:00.05' }))).toThrow(/not be less than 00:00:00\.1/);
    expect(() => queueOptions(queues({ messageEncoding: 'utf8' }))).toThrow(/messageEncoding/);
    expect(() => queueOptions(queues({ visibilityTimeout: 'soon' }))).toThrow(/visibilityTimeout.*not a TimeSpan/);
  });

  it('parses TimeSpans as .NET does, a bare number being days', () => {
    expect(parseTimeSpan('00:00:02', 's')).toBe(2000);
    expect(parseTimeSpan('00:01:00', 's')).toBe(60_000);
    expect(parseTimeSpan('00:00:00.1', 's')).toBe(100);
    expect(parseTimeSpan('1.02:00:00', 's')).toBe(93_600_000);
    expect(parseTimeSpan('00:10', 's')).toBe(600_000); // hh:mm
    expect(parseTimeSpan(2, 's')).toBe(172_800_000); // "maxPollingInterval": 2 is two days
  });

  it('lets app settings AzureFunctionsJobHost__a__b override host.json, case-insensitively', () => {
    const hostJson = { extensions: { queues: { batchSize: 16 } }, version: '2.0' };
    const overridden = withOverrides(hostJson, {
      AzureFunctionsJobHost__extensions__queues__batchSize: '2',
      azurefunctionsjobhost__Extensions__Queues__messageEncoding: 'none',
      OTHER: 'x',
    });
    expect(overridden).toEqual({ extensions: { queues: { batchSize: '2', messageEncoding: 'none' } }, version: '2.0' });
    expect(hostJson.extensions.queues.batchSize).toBe(16);
    expect(queueOptions(overridden, 2)).toMatchObject({ batchSize: 2, messageEncoding: 'none' });
  });

  it('filters log lines by host.json logging.logLevel: longest category prefix, then default', () => {
    const category = 'Microsoft.Azure.WebJobs.Extensions.Storage.Common.Listeners.QueueListener';
    expect(logLevelEnabled({}, category, 'Debug')).toBe(false);
    expect(logLevelEnabled({}, category, 'Information')).toBe(true);
    const debug = {
      logging: { logLevel: { default: 'Warning', 'Microsoft.Azure.WebJobs.Extensions.Storage': 'Debug' } },
    };
    expect(logLevelEnabled(debug, category, 'Debug')).toBe(true);
    expect(logLevelEnabled(debug, 'Host.Results', 'Information')).toBe(false);
    expect(logLevelEnabled({ logging: { logLevel: { default: 'None' } } }, category, 'Error')).toBe(false);
  });
});

describe('binding settings', () => {
  it('resolves %SETTING% expressions and names the one that is missing', () => {
    expect(resolveBindingExpression('%ARCHIVE_QUEUE%', { ARCHIVE_QUEUE: 'archive-chunks' })).toBe('archive-chunks');
    expect(resolveBindingExpression('%PREFIX%-chunks', { PREFIX: 'dev' })).toBe('dev-chunks');
    expect(resolveBindingExpression('%A%-%B%', { A: 'x', B: 'y' })).toBe('x-y');
    expect(resolveBindingExpression('archive-chunks', {})).toBe('archive-chunks');
    expect(() => resolveBindingExpression('%ARCHIVE_QUEUE%', {})).toThrow(
      "'%ARCHIVE_QUEUE%' does not resolve to a value.",
    );
  });

  it('reads settings as .NET configuration does: any case, ":" written "__"; an empty value is a value', () => {
    expect(resolveBindingExpression('%archive_queue%', { ARCHIVE_QUEUE: 'copies' })).toBe('copies');
    expect(resolveBindingExpression('%Queues:Chunks%', { Queues__Chunks: 'nested' })).toBe('nested');
    expect(resolveBindingExpression('%EMPTY%', { EMPTY: '' })).toBe('');
  });

  it("refuses what the host's name resolver refuses, with its words", () => {
    expect(() => resolveBindingExpression('%%', { '': 'x' })).toThrow("'%%' does not resolve to a value.");
    expect(() => resolveBindingExpression('chunks-%TAIL', { TAIL: 'x' })).toThrow(
      "The '%' at position 7 does not have a closing '%'",
    );
  });

  it('checks queue names as Storage does', () => {
    for (const name of ['archive-chunks', 'abc', 'a1-b2', 'x'.repeat(63)]) expect(isValidQueueName(name)).toBe(true);
    for (const name of ['ab', 'Archive', '-abc', 'abc-', 'a--b', 'a_b', 'x'.repeat(64)])
      expect(isValidQueueName(name)).toBe(false);
  });

  it('finds the connection string a binding names, or says which setting is missing', () => {
    expect(storageConnectionString('AzureWebJobsStorage', { AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toBe(
      'UseDevelopmentStorage=true',
    );
    expect(storageConnectionString('Chunks', { AzureWebJobsChunks: 'UseDevelopmentStorage=true' })).toBe(
      'UseDevelopmentStorage=true',
    );
    expect(() => storageConnectionString('AzureWebJobsStorage', {})).toThrow(
      "Storage account connection string 'AzureWebJobsStorage' does not exist. Make sure that it is a defined App Setting.",
    );
    expect(() =>
      storageConnectionString('AzureWebJobsStorage', {
        AzureWebJobsStorage__queueServiceUri: 'https://account.queue.core.windows.net',
      }),
    ).toThrow(/identity-based connection/);
  });
});

describe('indexing: a binding that does not resolve puts that one function in error', () => {
  const fn = (name: string, trigger: string, more: Partial<LoadedFunction>) =>
    ({ name, trigger, ...more }) as LoadedFunction;
  const state = (env: Record<string, string>) => {
    const lines: string[] = [];
    const s = {
      env,
      functionErrors: new Map(),
      write: (line: string) => lines.push(line),
      functions: [
        fn('archiveChunk', 'storageQueue', { queueName: '%ARCHIVE_QUEUE%', connection: 'AzureWebJobsStorage' }),
        fn('sweep', 'timer', { schedule: '%SWEEP_SCHEDULE%' }),
        fn('recordings', 'http', { route: 'recordings' }),
      ],
    } as unknown as HostState;
    return { s, lines };
  };

  it('binds every trigger when the settings are there', () => {
    const { s } = state({
      ARCHIVE_QUEUE: 'Archive-Chunks',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      SWEEP_SCHEDULE: '0 */5 * * * *',
    });
    indexFunctions(s);
    expect(s.functionErrors.size).toBe(0);
    expect(s.functions[0]!.bound).toEqual({
      queueName: 'archive-chunks',
      connectionString: 'UseDevelopmentStorage=true',
    });
    expect(s.functions[1]!.bound?.schedule).toBeDefined();
    expect(runnable(s).map((f) => f.name)).toEqual(['archiveChunk', 'sweep', 'recordings']);
  });

  it("reports each one in error with the host's words, and leaves the others runnable", () => {
    const { s, lines } = state({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', SWEEP_SCHEDULE: 'every minute' });
    indexFunctions(s);
    expect(s.functionErrors.get('archiveChunk')).toEqual([
      "Microsoft.Azure.WebJobs.Host: Error indexing method 'Functions.archiveChunk'. Microsoft.Azure.WebJobs.Host: " +
        "'%ARCHIVE_QUEUE%' does not resolve to a value.",
    ]);
    expect(s.functionErrors.get('sweep')?.[0]).toMatch(
      /^Microsoft\.Azure\.WebJobs\.Host: Error indexing method 'Functions\.sweep'\. /,
    );
    expect(runnable(s).map((f) => f.name)).toEqual(['recordings']);
    expect(lines.join('\n')).toMatch(/\[Warning\] Function 'archiveChunk' failed indexing and will be disabled\./);
    expect(lines.join('\n')).toMatch(/\[Error\] The 'archiveChunk' function is in error: /);
  });
});

describe("routes, as the Functions host matches them behind Azure's front end", () => {
  const recordings = 'recordings/{serverCallId?}/{action?}';

  it('decodes each segment once, after splitting', () => {
    expect(matchRoute(recordings, 'recordings/a%2Bb%3D%3D')).toEqual({ serverCallId: 'a+b==' });
    expect(matchRoute(recordings, 'recordings/abc/pause')).toEqual({ serverCallId: 'abc', action: 'pause' });
    expect(matchRoute(recordings, 'recordings/100%2525')).toEqual({ serverCallId: '100%25' });
  });

  it('takes an encoded / or \\ in a segment, in any case, for a separator: the route then fails to match', () => {
    expect(routingPath('echo/my%2Fmessage')).toBe('echo/my/message');
    expect(routingPath('echo/my%2fmessage%5Cand%5cmore')).toBe('echo/my/message/and/more');
    // azure-functions-host#3998: `Echo/{message}` with `my%2fmessage` is 404 when deployed.
    expect(matchRoute('Echo/{message}', 'Echo/my%2fmessage')).toBeNull();
    // #5619: `foo/{section}/{userId}` with `bar%2Fsub-bar/1` becomes foo/bar/sub-bar/1.
    expect(matchRoute('foo/{section}/{userId}', 'foo/bar%2Fsub-bar/1')).toBeNull();
    // dotnet/aspnetcore#40532: App Service turns %5C into /.
    expect(matchRoute('departments/{dept}', 'departments/A%5CP')).toBeNull();
    // Microsoft's 2025-06-15 REST example id has one '/': its two halves land in two parameters.
    const id = 'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
    expect(matchRoute(recordings, `recordings/${encodeURIComponent(id)}`)).toEqual({
      serverCallId: id.split('/')[0],
      action: id.split('/')[1],
    });
    expect(matchRoute(recordings, `recordings/${encodeURIComponent(id)}/pause`)).toBeNull();
  });

  it('keeps a catch-all working with it, as the documented workaround does', () => {
    expect(matchRoute('files/{*path}', 'files/a%2Fb')).toEqual({ path: 'a/b' });
    // A double-encoded slash survives the front end's one decoding as a literal %2F.
    expect(matchRoute('echo/{message}', 'echo/my%252Fmessage')).toEqual({ message: 'my%2Fmessage' });
  });
});

describe('queue polling backoff (RandomizedExponentialBackoffStrategy)', () => {
  it('grows from 100 ms by about 2^n x 100 ms while empty, up to the maximum, and resets once messages arrive', () => {
    const middle = new RandomizedExponentialBackoff(100, 1000, () => 0.5); // randomization factor 1.0
    const delays = [false, false, false, false, false, false, false].map((found) => middle.nextDelay(found));
    expect(delays).toEqual([100, 200, 300, 500, 900, 1000, 1000]);
    expect(middle.nextDelay(true)).toBe(100);
    expect(middle.nextDelay(false)).toBe(200);
  });

  it('randomizes each step by +-20%', () => {
    const low = new RandomizedExponentialBackoff(100, 60_000, () => 0);
    expect([1, 2, 3, 4].map(() => low.nextDelay(false))).toEqual([100, 180, 260, 420]);
    const high = new RandomizedExponentialBackoff(100, 60_000, () => 1);
    expect([1, 2, 3, 4].map(() => high.nextDelay(false))).toEqual([100, 220, 340, 580]);
  });
});

describe('queue messages as the host hands them to the worker', () => {
  it('decodes base64 strictly and none as is', () => {
    expect(decodeMessageText('eyJhIjoxfQ==', 'base64')?.toString()).toBe('{"a":1}');
    expect(decodeMessageText('{"a":1}', 'base64')).toBeUndefined();
    expect(decodeMessageText('abc', 'base64')).toBeUndefined();
    expect(decodeMessageText('eyJhIjoxfQ==', 'none')?.toString()).toBe('eyJhIjoxfQ==');
  });

  it('writes times as Newtonsoft writes a DateTimeOffset', () => {
    expect(toNewtonsoftDate(new Date('2026-11-23T12:00:00.000Z'))).toBe('2026-11-23T12:00:00+00:00');
    expect(toNewtonsoftDate(new Date('2026-11-23T12:00:00.120Z'))).toBe('2026-11-23T12:00:00.12+00:00');
  });

  it('gives the binding data PascalCase, as typed data', () => {
    const message = {
      messageId: '6f1c2d70-97bc-4572-a6c8-9ca1f228169d',
      popReceipt: 'AgAAAAMAAAAAAAAA',
      messageText: 'eyJpbmRleCI6MH0=',
      dequeueCount: 2,
      insertedOn: new Date('2026-11-23T12:00:00.000Z'),
      expiresOn: new Date('2026-11-30T12:00:00.000Z'),
      nextVisibleOn: new Date('2026-11-23T12:10:00.000Z'),
    };
    const metadata = toTriggerMetadata(message, Buffer.from('{"index":0}'), 'archiveChunk');
    expect({ ...metadata, sys: undefined }).toEqual({
      QueueTrigger: { string: '{"index":0}' },
      DequeueCount: { json: '2' },
      ExpirationTime: { json: '"2026-11-30T12:00:00+00:00"' },
      Id: { string: '6f1c2d70-97bc-4572-a6c8-9ca1f228169d' },
      InsertionTime: { json: '"2026-11-23T12:00:00+00:00"' },
      NextVisibleTime: { json: '"2026-11-23T12:10:00+00:00"' },
      PopReceipt: { string: 'AgAAAAMAAAAAAAAA' },
      sys: undefined,
    });
    expect(JSON.parse(metadata.sys!.json!)).toMatchObject({ MethodName: 'archiveChunk' });
    // Not valid UTF-8: no QueueTrigger, as the extension leaves it out.
    expect(toTriggerMetadata(message, Buffer.from([0xff, 0xfe]), 'archiveChunk').QueueTrigger).toBeUndefined();
  });

  it('has a poison queue <queue>-poison unless the name is one already or would be too long', () => {
    expect(poisonQueueName('archive-chunks')).toBe('archive-chunks-poison');
    expect(poisonQueueName('archive-chunks-poison')).toBeUndefined();
    expect(poisonQueueName('x'.repeat(60))).toBeUndefined();
  });
});

describe('access keys', () => {
  const keys = loadKeys({
    LOCAL_HOST_KEYS: JSON.stringify({
      master: 'm',
      host: { default: 'h', other: 'h2' },
      functions: { callEvents: 'c', recordings: { default: 'r', second: 'r2' } },
      system: { eventgrid_extension: 'e' },
    }),
  });

  it('grants each level what the host grants', () => {
    const fn = accessForAuthLevel('function', 'callEvents');
    expect(['m', 'h', 'h2', 'c'].map((k) => isAuthorized(keys, fn, k))).toEqual([true, true, true, true]);
    expect(['r', 'e', 'x', undefined].map((k) => isAuthorized(keys, fn, k))).toEqual([false, false, false, false]);
    expect(isAuthorized(keys, accessForAuthLevel('function', 'RECORDINGS'), 'r2')).toBe(true);
    const admin = accessForAuthLevel('admin', 'x');
    expect(['m', 'h', 'c'].map((k) => isAuthorized(keys, admin, k))).toEqual([true, false, false]);
    const system = { level: 'system', extensionKeyName: 'eventgrid_extension' } as const;
    expect(['m', 'e', 'h', 'c'].map((k) => isAuthorized(keys, system, k))).toEqual([true, true, false, false]);
    expect(isAuthorized(keys, accessForAuthLevel('anonymous', 'x'), undefined)).toBe(true);
  });

  it('enforces nothing when no keys are configured', () => {
    expect(loadKeys({})).toBeUndefined();
    expect(isAuthorized(undefined, { level: 'admin' }, undefined)).toBe(true);
  });

  it('reads a keys file, and takes the header before ?code=', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cra-keys-')), 'keys.json');
    writeFileSync(file, JSON.stringify({ master: 'from-file' }));
    expect(loadKeys({ LOCAL_HOST_KEYS_FILE: file })?.master).toBe('from-file');
    const url = new URL('http://127.0.0.1/api/x?code=from-query');
    expect(presentedKey({ 'x-functions-key': 'from-header' }, url)).toBe('from-header');
    expect(presentedKey({}, url)).toBe('from-query');
  });

  it('names the setting when the keys are unusable', () => {
    expect(() => loadKeys({ LOCAL_HOST_KEYS: '[]' })).toThrow(/LOCAL_HOST_KEYS must be an object/);
    expect(() => loadKeys({ LOCAL_HOST_KEYS: '{"functions": {"a": ""}}' })).toThrow(/functions\.a must be/);
    expect(() => loadKeys({ LOCAL_HOST_KEYS_FILE: '/nonexistent/keys.json' })).toThrow(/LOCAL_HOST_KEYS_FILE/);
  });
});

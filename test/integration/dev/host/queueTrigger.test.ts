import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { azuriteConnectionString } from '../../../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../../../helpers/hostProcess';
import { HOST_APP, REPO_ROOT } from '../../../helpers/paths';
import { eventually } from '../../../helpers/eventually';

/**
 * Storage queue triggers in the local host (its own process), over the run's Azurite queue service, with the fixture
 * app's host.json: batchSize 4, newBatchThreshold 0, maxPollingInterval 00:00:01, visibilityTimeout 00:00:01,
 * maxDequeueCount 3, messageEncoding base64, the queue listener's debug log on. Outcomes are polled, never timed.
 */

const appRoot = HOST_APP;
const root = REPO_ROOT;
// NOTE: no keep-alive, so no idle socket to Azurite (which outlives this file) keeps the jest worker from exiting.
const service = () =>
  QueueServiceClient.fromConnectionString(azuriteConnectionString(), { keepAliveOptions: { enable: false } });
const uniqueQueue = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
// The product's chunk message (DESIGN: {"callId","recordingKey","index"}), with a test id to find it again.
const chunkMessage = (extra: object = {}) => ({
  callId: 'b1b2c3d4-0000-4000-8000-000000000001',
  recordingKey: 'k1',
  index: 0,
  test: randomUUID(),
  ...extra,
});

interface Fixture {
  host: HostProcess;
  log: string;
}
async function startFixture(env: Record<string, string>): Promise<Fixture> {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'cra-queue-')), 'handlers.jsonl');
  return { log, host: await startHostProcess(appRoot, { FIXTURE_LOG: log, ...env }) };
}
/** What queue handlers recorded, oldest first. */
function invocations(fixture: Fixture): any[] {
  if (!existsSync(fixture.log)) return [];
  return readFileSync(fixture.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).queue)
    .filter(Boolean);
}
const invocationsOf = (fixture: Fixture, test: string) => invocations(fixture).filter((i) => i.message?.test === test);
/** The invocations of the message with this test id, once there are at least `count`. */
const atLeast = (fixture: Fixture, test: string, count: number) =>
  eventually(`${count} invocation(s)`, () => {
    const found = invocationsOf(fixture, test);
    return found.length >= count && found;
  });
const messageCount = async (queue: QueueClient) =>
  (await queue.exists()) ? (await queue.getProperties()).approximateMessagesCount : 0;
const peekAll = async (queue: QueueClient) =>
  (await queue.exists()) ? (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems : [];
/** The first line printed after `mark` that matches. */
const lineAfter = (host: HostProcess, mark: number, pattern: RegExp) =>
  eventually(`a host line matching ${pattern}`, () => host.lines.slice(mark).find((l) => pattern.test(l)));

describe('queue trigger: base64 messages, retries, poison, polling', () => {
  const queueName = uniqueQueue('work');
  let fixture: Fixture;
  let queue: QueueClient;
  let poison: QueueClient;
  beforeAll(async () => {
    queue = service().getQueueClient(queueName);
    poison = service().getQueueClient(`${queueName}-poison`);
    await queue.create();
    fixture = await startFixture({ AzureWebJobsStorage: azuriteConnectionString(), FIXTURE_QUEUE: queueName });
  });
  afterAll(async () => fixture?.host.stop());

  it('runs a JSON message with the object, the triggerMetadata Azure gives, and deletes it on success', async () => {
    const message = chunkMessage();
    const sent = await queue.sendMessage(base64(JSON.stringify(message)));
    const [invocation] = await atLeast(fixture, message.test, 1);
    expect(invocation.function).toBe('queueWork');
    expect(invocation.message).toEqual(message);
    const metadata = invocation.triggerMetadata;
    expect(Object.keys(metadata).sort()).toEqual([
      'dequeueCount',
      'expirationTime',
      'id',
      'insertionTime',
      'nextVisibleTime',
      'popReceipt',
      'queueTrigger',
      'sys',
    ]);
    expect(metadata.dequeueCount).toBe(1);
    expect(metadata.id).toBe(sent.messageId);
    expect(metadata.queueTrigger).toEqual(message);
    expect(typeof metadata.popReceipt).toBe('string');
    // DateTimeOffsets as Newtonsoft writes them, the way the host serializes binding data.
    for (const time of ['insertionTime', 'expirationTime', 'nextVisibleTime'])
      expect(metadata[time]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
    expect(new Date(metadata.insertionTime).getTime()).toBe(sent.insertedOn.getTime());
    expect(new Date(metadata.expirationTime).getTime()).toBe(sent.expiresOn.getTime());
    expect(metadata.sys).toMatchObject({ methodName: 'queueWork' });
    await eventually('the message to be deleted', async () => (await messageCount(queue)) === 0);
    const log = fixture.host.lines.join('\n');
    expect(log).toContain(`Executing 'queueWork' (Reason='New queue message detected on '${queueName}'.', Id=`);
    expect(log).toContain(`Trigger Details: MessageId: ${sent.messageId}, DequeueCount: 1, InsertedOn: `);
    expect(log).not.toContain(metadata.popReceipt); // a pop receipt is a credential for the message
  });

  it('gives a message that is not JSON to the handler as a string', async () => {
    const text = `plain text ${randomUUID()}`;
    await queue.sendMessage(base64(text));
    const invocation = await eventually('the invocation', () => invocations(fixture).find((i) => i.message === text));
    expect(invocation.triggerMetadata.queueTrigger).toBe(text);
  });

  it('makes a failed message visible again after visibilityTimeout and runs it with the next dequeueCount', async () => {
    const message = chunkMessage({ failUntil: 2 });
    await queue.sendMessage(base64(JSON.stringify(message)));
    await atLeast(fixture, message.test, 2);
    await eventually('the message to be deleted', async () => (await messageCount(queue)) === 0);
    expect(invocationsOf(fixture, message.test).map((i) => i.triggerMetadata.dequeueCount)).toEqual([1, 2]);
    expect((await peekAll(poison)).map((m) => m.messageText)).not.toContain(base64(JSON.stringify(message)));
  });

  it('moves a message that failed maxDequeueCount (3) times to <queue>-poison, body unchanged', async () => {
    const message = chunkMessage({ fail: true });
    const body = base64(JSON.stringify(message));
    await queue.sendMessage(body);
    const poisoned = await eventually('the poison message', async () =>
      (await peekAll(poison)).find((m) => m.messageText === body),
    );
    expect(poisoned.messageText).toBe(body);
    expect(invocationsOf(fixture, message.test).map((i) => i.triggerMetadata.dequeueCount)).toEqual([1, 2, 3]);
    await eventually('the original to be gone', async () => (await messageCount(queue)) === 0);
    expect(fixture.host.lines.join('\n')).toContain(
      `[Warning] Message has reached MaxDequeueCount of 3. Moving message to queue '${queueName}-poison'.`,
    );
  });

  it('moves a message that is not base64 to the poison queue without running the function', async () => {
    const text = `{"not": "base64", "test": "${randomUUID()}"}`;
    const sent = await queue.sendMessage(text);
    await eventually('the poison message', async () => (await peekAll(poison)).some((m) => m.messageText === text));
    expect(fixture.host.lines.join('\n')).toContain(
      `[Warning] Message decoding has failed! Check MessageEncoding settings. MessageId=${sent.messageId}.`,
    );
    expect(invocations(fixture).filter((i) => i.triggerMetadata?.id === sent.messageId)).toEqual([]);
  });

  it('backs off to maxPollingInterval (1 s) while idle, takes a new message, and polls fast again', async () => {
    const idle = new RegExp(`will wait 1000 ms before polling queue '${queueName}'`);
    await lineAfter(fixture.host, fixture.host.lines.length, idle);
    const sentAt = fixture.host.lines.length; // from here on the delay stays at the maximum until a message is found
    const message = chunkMessage();
    await queue.sendMessage(base64(JSON.stringify(message)));
    await atLeast(fixture, message.test, 1);
    await lineAfter(fixture.host, sentAt, new RegExp(`will wait 100 ms before polling queue '${queueName}'`));
  });
});

describe('queue trigger: %SETTING% names, a crashed message, visibility renewal', () => {
  const queueName = uniqueQueue('settings');
  let fixture: Fixture;
  let queue: QueueClient;
  const crashed = chunkMessage();
  beforeAll(async () => {
    queue = service().getQueueClient(queueName);
    await queue.create();
    // A message three earlier attempts took and never settled (a host that died mid-invocation), visible again.
    await queue.sendMessage(base64(JSON.stringify(crashed)));
    for (let attempt = 0; attempt < 3; attempt++) {
      const [taken] = (await queue.receiveMessages({ visibilityTimeout: 60 })).receivedMessageItems;
      await queue.updateMessage(taken!.messageId, taken!.popReceipt, undefined, 0);
    }
    fixture = await startFixture({
      AzureWebJobsStorage: azuriteConnectionString(),
      FIXTURE_QUEUE: queueName.toUpperCase(), // the extension lower-cases the resolved name
      LOCAL_HOST_QUEUE_VISIBILITY_SECONDS: '2',
    });
  });
  afterAll(async () => fixture?.host.stop());

  it('resolves the queue name from the settings, lower-cased', () => {
    expect(fixture.host.lines).toContain(
      `  queueWork: queue ${queueName} (%FIXTURE_QUEUE%) (connection AzureWebJobsStorage)`,
    );
  });

  it('sends a message dequeued more than maxDequeueCount times to the poison queue without running it', async () => {
    const body = base64(JSON.stringify(crashed));
    const poison = service().getQueueClient(`${queueName}-poison`);
    await eventually('the poison message', async () => (await peekAll(poison)).some((m) => m.messageText === body));
    expect(invocationsOf(fixture, crashed.test)).toEqual([]);
  });

  it('renews the visibility of a message while its function runs longer than the processing timeout', async () => {
    const message = chunkMessage({ sleepMs: 3500 }); // processing visibility 2 s: renewed every second
    await queue.sendMessage(base64(JSON.stringify(message)));
    await atLeast(fixture, message.test, 1);
    await eventually('the message to be deleted', async () => (await messageCount(queue)) === 0, 20_000);
    expect(invocationsOf(fixture, message.test).map((i) => i.triggerMetadata.dequeueCount)).toEqual([1]);
  });
});

describe('queue trigger: messageEncoding none, batchSize, a literal queue name and its own connection', () => {
  const queueName = uniqueQueue('plain');
  let fixture: Fixture;
  let queue: QueueClient;
  beforeAll(async () => {
    queue = service().getQueueClient(queueName);
    await queue.create();
    fixture = await startFixture({
      AzureWebJobsStorage: azuriteConnectionString(),
      FixtureLiteralStorage: azuriteConnectionString(),
      FIXTURE_QUEUE: queueName,
      // host.json values overridden by app settings, as the Functions host allows
      AzureFunctionsJobHost__extensions__queues__messageEncoding: 'none',
      AzureFunctionsJobHost__extensions__queues__batchSize: '2',
      AzureFunctionsJobHost__extensions__queues__newBatchThreshold: '0',
    });
  });
  afterAll(async () => {
    await fixture?.host.stop();
    await service().getQueueClient('fixture-literal').deleteIfExists();
  });

  it('takes message text as it is with messageEncoding none', async () => {
    const message = chunkMessage();
    await queue.sendMessage(JSON.stringify(message));
    const [invocation] = await atLeast(fixture, message.test, 1);
    expect(invocation.message).toEqual(message);
    const looksEncoded = `aGVsbG8=${randomUUID()}`; // base64-looking text stays text
    await queue.sendMessage(looksEncoded);
    await eventually('the invocation', () => invocations(fixture).some((i) => i.message === looksEncoded));
  });

  it('never runs more than batchSize (2) messages at once when newBatchThreshold is 0', async () => {
    const batch = Array.from({ length: 6 }, () => chunkMessage({ sleepMs: 300, batch: true }));
    for (const message of batch) await queue.sendMessage(JSON.stringify(message));
    const runs = await eventually('six invocations', () => {
      const found = invocations(fixture).filter((i) => i.message?.batch);
      return found.length === 6 && found;
    });
    expect(Math.max(...runs.map((r: any) => r.running))).toBe(2);
    await eventually('the queue to be empty', async () => (await messageCount(queue)) === 0);
  });

  it('polls a literal queue name that does not exist yet until it does, with the connection the binding names', async () => {
    await fixture.host.waitForLine(
      /Queue 'fixture-literal' does not exist yet; 'queueLiteral' polls it until it does\./,
    );
    const literal = service().getQueueClient('fixture-literal');
    await literal.create();
    const text = `literal ${randomUUID()}`;
    await literal.sendMessage(text);
    const invocation = await eventually('the invocation', () => invocations(fixture).find((i) => i.message === text));
    expect(invocation.function).toBe('queueLiteral');
  });
});

describe('queue trigger registration', () => {
  it('describes a queue function as loadApp reports it', () => {
    const script = `
      const { loadApp } = require(${JSON.stringify(path.join(root, 'dist-dev', 'dev', 'host', 'appLoader.js'))});
      const fns = loadApp(${JSON.stringify(appRoot)}).filter((f) => f.trigger === 'storageQueue')
        .map(({ name, trigger, queueName, connection }) => ({ name, trigger, queueName, connection }));
      process.stdout.write(JSON.stringify(fns));`;
    const described = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }));
    expect(described).toEqual([
      { name: 'queueWork', trigger: 'storageQueue', queueName: '%FIXTURE_QUEUE%', connection: 'AzureWebJobsStorage' },
      {
        name: 'queueLiteral',
        trigger: 'storageQueue',
        queueName: 'fixture-literal',
        connection: 'FixtureLiteralStorage',
      },
    ]);
  });
});

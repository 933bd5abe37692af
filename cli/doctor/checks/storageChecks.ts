import type { ContainerClient } from '@azure/storage-blob';
import { createArchiveServices } from '../../../shared/archive';
import { ConfigError } from '../../../shared/errors';
import { blobServiceClientFor, statusCode, streamToText } from '../../../shared/storage';
import { safeText } from '../../../shared/text';
import { fail, pass, skip, warn, type Check, type Outcome } from '../check';

/**
 * What the app reads and writes, checked with the app's own settings (in Azure with your sign-in: the roles "you" has,
 * README Roles): the archive and control containers, the chunk queue, the dead-letter container (and what Event Grid
 * left in it lately), and the archive's WORM state against ARCHIVE_IMMUTABILITY_ACTIVE.
 */

const DEAD_LETTER_WINDOW_MS = 24 * 3_600_000;
const DEAD_LETTERS_READ = 3;
const MAX_DEAD_LETTER_BYTES = 1024 * 1024;
/** Dead letters stay until redriven or deleted; a container this full is looked at only this far. */
const MAX_LISTED = 10_000;

export const containers: Check = {
  id: 'storage.containers',
  title: 'the archive and control containers exist',
  async run(ctx) {
    const blobs = blobServiceClientFor(ctx.config);
    const wanted = [
      ['ARCHIVE_CONTAINER', ctx.config.archiveContainer],
      ['CONTROL_CONTAINER', ctx.config.controlContainer],
    ] as const;
    const missing: string[] = [];
    for (const [setting, name] of wanted) {
      const exists = await readable(() => blobs.getContainerClient(name).exists());
      if (typeof exists !== 'boolean') return exists;
      if (!exists) missing.push(`${setting} ${name}`);
    }
    if (missing.length > 0) {
      return fail(
        `missing: ${missing.join(', ')}`,
        ctx.target.kind === 'azure'
          ? 'azd provision creates them (the app is not allowed to)'
          : 'the app creates them on first use: play a call (npm start does one)',
      );
    }
    return pass(wanted.map(([, name]) => name).join(', '));
  },
};

export const chunkQueue: Check = {
  id: 'storage.queue',
  title: 'the chunk queue exists (and its poison queue)',
  async run(ctx) {
    let queue;
    try {
      queue = createArchiveServices(ctx.config).queue;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return fail(error.message, 'set AzureWebJobsStorage (locally) or AzureWebJobsStorage__queueServiceUri (azd env)');
    }
    const exists = await readable(() => queue.queue.exists());
    if (typeof exists !== 'boolean') return exists;
    if (!exists) {
      return fail(
        `queue ${ctx.config.queue.name} does not exist: archiveRecording cannot hand chunks to archiveChunk`,
        ctx.target.kind === 'azure'
          ? 'azd provision creates it (ARCHIVE_QUEUE names it; the app is not allowed to create queues)'
          : `create it (az storage queue create -n ${ctx.config.queue.name} --connection-string …), or let the first archived event create it`,
      );
    }
    const waiting = (await queue.queue.getProperties()).approximateMessagesCount ?? 0;
    if (!(await queue.poison.exists())) {
      return warn(
        `queue ${ctx.config.queue.name} (${waiting} waiting); its poison queue ${ctx.config.queue.poisonName} does not exist`,
        ctx.target.kind === 'azure' ? 'azd provision creates it' : 'the host creates it when a first message fails',
      );
    }
    const poisoned = (await queue.poison.getProperties()).approximateMessagesCount ?? 0;
    if (poisoned > 0) {
      return warn(
        `queue ${ctx.config.queue.name} (${waiting} waiting); ${poisoned} message(s) in ${ctx.config.queue.poisonName}`,
        'see them with status; retry <callId> queues them again',
      );
    }
    return pass(`queue ${ctx.config.queue.name} (${waiting} waiting), ${ctx.config.queue.poisonName} empty`);
  },
};

export const deadLetters: Check = {
  id: 'storage.deadLetters',
  title: 'the dead-letter container is reachable, and Event Grid left nothing in it lately',
  async run(ctx) {
    const name = ctx.settings.DEAD_LETTER_CONTAINER ?? 'eventgrid-deadletter';
    const container = blobServiceClientFor(ctx.config).getContainerClient(name);
    const exists = await readable(() => container.exists());
    if (typeof exists !== 'boolean') return exists;
    if (!exists) {
      if (ctx.target.kind === 'local') return skip(`no ${name} container: nothing dead-letters locally`);
      return fail(`DEAD_LETTER_CONTAINER ${name} does not exist in the archive account`, 'azd provision creates it');
    }
    const recent = await recentDeadLetters(container, ctx.now());
    if (recent.length === 0) return pass(`${name}: no dead letters in the last 24 h`);
    const statuses = await lastStatuses(container, recent.slice(0, DEAD_LETTERS_READ));
    const refused = statuses.filter((s) => s === 401 || s === 403);
    const summary = `${recent.length} dead letter(s) in ${name} in the last 24 h (newest ${safeText(recent[0]!, 120)})`;
    if (refused.length > 0) {
      return fail(
        `${summary}, after HTTP ${refused[0]} from the endpoint: a subscription's key no longer opens its function`,
        'azd hooks run postdeploy (it writes the current keys), then redrive the recording files',
      );
    }
    return warn(`${summary}; last statuses ${statuses.join(', ') || 'unknown'}`, 'fix the cause, then redrive');
  },
};

export const worm: Check = {
  id: 'storage.worm',
  title: 'WORM (version-level immutability) is as configured',
  async run(ctx) {
    const configured = ctx.settings.ARCHIVE_IMMUTABILITY_ACTIVE?.toLowerCase();
    const container = blobServiceClientFor(ctx.config).getContainerClient(ctx.config.archiveContainer);
    const exists = await readable(() => container.exists());
    if (typeof exists !== 'boolean') return exists;
    if (!exists) return skip(`${ctx.config.archiveContainer} does not exist (see storage.containers)`);
    const immutable = (await container.getProperties()).isImmutableStorageWithVersioningEnabled === true;
    const name = ctx.config.archiveContainer;
    if (configured === 'true' && !immutable) {
      return fail(
        `ARCHIVE_IMMUTABILITY_ACTIVE is true, but ${name} has no version-level immutability`,
        'ARCHIVE_CONTAINER must name the WORM container (recordings-worm): azd provision sets it',
      );
    }
    if (configured !== 'true' && immutable) {
      return warn(`${name} is immutable (WORM), but ARCHIVE_IMMUTABILITY_ACTIVE does not say so`, 'azd provision');
    }
    return pass(
      immutable
        ? `${name} is immutable (WORM), as configured`
        : `WORM off for ${name}${configured ? '' : ' (ARCHIVE_IMMUTABILITY_ACTIVE unset)'}`,
    );
  },
};

/** A storage call, or the failure to report when the caller may not make it. */
async function readable<T>(call: () => Promise<T>): Promise<T | Outcome> {
  try {
    return await call();
  } catch (error) {
    const status = statusCode(error);
    if (status === 401 || status === 403) {
      return fail(
        `Storage refused your credential (${status})`,
        'az login as someone with the roles of "you" (README Roles: Storage Blob Data Reader on the archive ' +
          'account, Storage Queue Data Reader on the runtime account)',
      );
    }
    throw error;
  }
}

/** Dead-letter blobs written in the last 24 hours, newest first (names only). */
async function recentDeadLetters(container: ContainerClient, now: Date): Promise<string[]> {
  const recent: { name: string; at: number }[] = [];
  let listed = 0;
  for await (const blob of container.listBlobsFlat()) {
    if (++listed > MAX_LISTED) break;
    const at = blob.properties.lastModified?.getTime() ?? 0;
    if (blob.name.endsWith('.json') && now.getTime() - at <= DEAD_LETTER_WINDOW_MS)
      recent.push({ name: blob.name, at });
  }
  return recent.sort((a, b) => b.at - a.at).map((r) => r.name);
}

/** The `lastHttpStatusCode` Event Grid recorded in each blob (its events are a JSON array). */
async function lastStatuses(container: ContainerClient, names: readonly string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const name of names) {
    try {
      const download = await container.getBlobClient(name).download();
      const parsed: unknown = JSON.parse(await streamToText(download.readableStreamBody, MAX_DEAD_LETTER_BYTES));
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
        const status = (item as { lastHttpStatusCode?: unknown } | null)?.lastHttpStatusCode;
        if (typeof status === 'number') statuses.push(status);
      }
    } catch {
      // unreadable: counted, not judged
    }
  }
  return statuses;
}

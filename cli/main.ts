#!/usr/bin/env node
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ArchiveStore } from '../shared/archive/archiveStore';
import { createArchiver } from '../shared/archive/createArchiver';
import { missingIndices, type Manifest } from '../shared/archive/manifest';
import { loadConfig, type Config } from '../shared/config';
import { AppError, ConfigError, isRetryable, toError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { blobServiceClientFor } from '../shared/storage';
import { Progress } from './progress';
import { verifyManifest } from './verify';

/**
 * Operator tool with the app's own settings (environment, then local.settings.json `Values`).
 * Exit codes: 0 all good; 1 something needs attention (failed, mismatched, rejected, near its deadline);
 * 2 bad usage or settings; 3 a transient failure (try again later).
 */

const USAGE = `Usage: call-recording-archiver <command> [options]

Commands:
  status [--all] [--json]              recordings that are pending, failed or close to their deadline
  verify <callId> | --all [--json]     re-read archived blobs; check size, Content-MD5 and SHA-256
  archive <event.json> [--json]        archive from a saved event (one event or an array; either schema)
  redrive [--container NAME] [--prefix P] [--json]
                                       archive the RecordingFileStatusUpdated events Event Grid dead-lettered
                                       (container default: DEAD_LETTER_CONTAINER or eventgrid-deadletter)

Settings are the app's (ACS_CONNECTION_STRING or ACS_ENDPOINT, ARCHIVE_STORAGE_CONNECTION_STRING or
ARCHIVE_STORAGE_URL, ARCHIVE_CONTAINER, ...), from the environment or ./local.settings.json.
Exit codes: 0 ok, 1 needs attention, 2 usage or settings, 3 transient failure (try again).`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        container: { type: 'string' },
        prefix: { type: 'string', default: '' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`${toError(error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  let config: Config;
  try {
    config = loadConfig(settingsFrom(io));
  } catch (error) {
    io.err(error instanceof ConfigError ? `Invalid setting ${error.message}` : toError(error).message);
    return 2;
  }
  const json = values.json;
  const log = cliLogger(io, json);
  try {
    switch (command) {
      case 'status':
        return await status(config, io, { all: values.all, json });
      case 'verify':
        if (!values.all && rest.length !== 1) {
          io.err(`verify needs a call id or --all\n\n${USAGE}`);
          return 2;
        }
        return await verify(config, io, { callId: values.all ? undefined : rest[0], json });
      case 'archive':
        if (rest.length !== 1) {
          io.err(`archive needs the path of a saved event\n\n${USAGE}`);
          return 2;
        }
        return await archiveFile(config, io, log, rest[0]!, json);
      case 'redrive':
        return await redrive(config, io, log, {
          container: values.container ?? io.env.DEAD_LETTER_CONTAINER ?? 'eventgrid-deadletter',
          prefix: values.prefix ?? '',
          json,
        });
      default:
        io.err(`Unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    const e = toError(error);
    io.err(`${command} failed: ${e.message}`);
    return e instanceof AppError && !isRetryable(e) ? 1 : 3;
  }
}

function settingsFrom(io: CliIo): Record<string, string | undefined> {
  const file = path.join(io.cwd, 'local.settings.json');
  let values: Record<string, string> = {};
  if (existsSync(file)) {
    values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  }
  return { ...values, ...io.env };
}

function cliLogger(io: CliIo, json: boolean): Logger {
  // With --json, stdout carries only the result; logs go to stderr.
  const write =
    (prefix: string) =>
    (...args: unknown[]) =>
      io.err(prefix + args.map(String).join(' '));
  return {
    debug: () => undefined,
    info: json ? () => undefined : write(''),
    warn: write('warning: '),
    error: write('error: '),
  };
}

async function* manifests(store: ArchiveStore, callId?: string): AsyncIterable<Manifest> {
  for await (const blob of store.container.listBlobsFlat({ prefix: callId ? `${callId}/` : undefined })) {
    if (blob.name.startsWith('_') || !blob.name.endsWith('/manifest.json')) continue;
    const [call, key] = blob.name.split('/');
    const found = await store.readManifest(call!, key!);
    if (found) yield found.manifest;
  }
}

function storeFor(config: Config, container = config.archiveContainer): ArchiveStore {
  return new ArchiveStore(blobServiceClientFor(config).getContainerClient(container));
}

async function status(config: Config, io: CliIo, options: { all: boolean; json: boolean }): Promise<number> {
  const store = storeFor(config);
  const now = Date.now();
  const rows = [];
  let attention = 0;
  for await (const m of manifests(store)) {
    const hoursLeft = (Date.parse(m.deadline) - now) / 3_600_000;
    const nearDeadline = m.status !== 'complete' && hoursLeft < config.deadlineWarningHours;
    if (m.status === 'failed' || nearDeadline) attention++;
    if (!options.all && m.status === 'complete') continue;
    rows.push({
      callId: m.callId,
      recordingKey: m.recordingKey,
      status: m.status,
      deadline: m.deadline,
      hoursLeft: Number(hoursLeft.toFixed(1)),
      nearDeadline,
      chunks: {
        archived: m.chunks.filter((c) => c.status === 'archived').length,
        known: m.chunks.length,
        missing: missingIndices(m),
      },
      problems: m.chunks.filter((c) => c.lastError).map((c) => `chunk ${c.index} ${c.status}: ${c.lastError}`),
    });
  }
  if (options.json) io.out(JSON.stringify({ recordings: rows, needsAttention: attention }, null, 2));
  else if (rows.length === 0) io.out('Nothing pending, failed or near its deadline.');
  else {
    for (const r of rows) {
      io.out(
        `${r.status.toUpperCase().padEnd(8)} ${r.callId}/${r.recordingKey}  chunks ${r.chunks.archived}/${r.chunks.known}` +
          `${r.chunks.missing.length ? ` (missing ${r.chunks.missing.join(',')})` : ''}  deadline ${r.deadline}` +
          ` (${r.hoursLeft} h${r.nearDeadline ? ', NEAR' : ''})`,
      );
      for (const p of r.problems) io.out(`         ${p}`);
    }
  }
  return attention > 0 ? 1 : 0;
}

async function verify(config: Config, io: CliIo, options: { callId?: string; json: boolean }): Promise<number> {
  const store = storeFor(config);
  const progress = new Progress(io, 'verify');
  const results = [];
  let recordings = 0;
  for await (const m of manifests(store, options.callId)) {
    recordings++;
    const total = m.chunks.reduce((n, c) => n + (c.status === 'archived' ? (c.size ?? 0) : 0), 0);
    progress.start(`${m.callId}/${m.recordingKey}`, total);
    results.push(...(await verifyManifest(store.container, m, (n) => progress.add(n))));
    progress.done();
  }
  const bad = results.filter((r) => !r.ok);
  if (options.json)
    io.out(JSON.stringify({ recordings, blobs: results.length, mismatched: bad.length, results }, null, 2));
  else {
    for (const r of bad) io.out(`MISMATCH ${r.blob}: ${r.problems.join('; ')}`);
    io.out(`${recordings} recording(s), ${results.length} blob(s) checked, ${bad.length} mismatched.`);
  }
  if (recordings === 0 && options.callId) {
    io.err(`No archived recording found for call ${options.callId}.`);
    return 1;
  }
  return bad.length > 0 ? 1 : 0;
}

async function archiveFile(config: Config, io: CliIo, log: Logger, file: string, json: boolean): Promise<number> {
  let events: unknown;
  try {
    events = JSON.parse(readFileSync(path.resolve(io.cwd, file), 'utf8'));
  } catch (error) {
    io.err(`Cannot read ${file}: ${toError(error).message}`);
    return 2;
  }
  const list: unknown[] = Array.isArray(events) ? (events as unknown[]) : [events];
  return archiveAll(
    config,
    io,
    log,
    list.map((event) => ({ source: file, event })),
    json,
  );
}

async function redrive(
  config: Config,
  io: CliIo,
  log: Logger,
  options: { container: string; prefix: string; json: boolean },
): Promise<number> {
  const container = storeFor(config, options.container).container;
  const items: { source: string; event: unknown }[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: options.prefix || undefined })) {
    if (!blob.name.endsWith('.json')) continue;
    const text = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      io.err(`warning: ${blob.name} is not JSON; skipped`);
      continue;
    }
    for (const event of Array.isArray(parsed) ? parsed : [parsed]) items.push({ source: blob.name, event });
  }
  return archiveAll(config, io, log, items, options.json);
}

async function archiveAll(
  config: Config,
  io: CliIo,
  log: Logger,
  items: { source: string; event: unknown }[],
  json: boolean,
): Promise<number> {
  const progress = new Progress(io, 'archive');
  const archiver = createArchiver(config, {
    lockWaitMs: 60_000,
    onProgress: (p) => progress.update(`${p.callId} chunk ${p.index}`, p.staged, p.total),
  });
  const results = [];
  for (const { source, event } of items) {
    const type = eventType(event);
    if (type !== 'Microsoft.Communication.RecordingFileStatusUpdated') {
      results.push({ source, id: eventId(event), outcome: 'skipped', detail: `event type ${type ?? 'unknown'}` });
      continue;
    }
    try {
      const outcome = await archiver.archiveEvent(event, log);
      progress.done();
      results.push({
        source,
        id: eventId(event),
        outcome: outcome.outcome,
        detail:
          outcome.outcome === 'rejected'
            ? outcome.reason
            : `${outcome.manifest.callId}/${outcome.manifest.recordingKey}`,
      });
    } catch (error) {
      progress.done();
      results.push({ source, id: eventId(event), outcome: 'retry', detail: toError(error).message });
    }
  }
  if (json) io.out(JSON.stringify({ results }, null, 2));
  else
    for (const r of results)
      io.out(`${r.outcome.toUpperCase().padEnd(8)} ${r.id ?? '(no id)'} from ${r.source}: ${r.detail}`);
  if (results.some((r) => r.outcome === 'retry')) return 3;
  return results.some((r) => r.outcome === 'failed' || r.outcome === 'rejected' || r.outcome === 'pending') ? 1 : 0;
}

function eventType(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as { eventType?: unknown; type?: unknown };
  const type = e.eventType ?? e.type;
  return typeof type === 'string' ? type : undefined;
}

function eventId(event: unknown): string | undefined {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${toError(error).message}\n`);
      process.exit(3);
    },
  );
}

import { createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { BadInputError } from '../errors';

/**
 * Where an export goes: a folder, or a zip file written as a stream (yazl, ZIP64 when needed). Bodies are streamed
 * straight through; nothing is buffered whole and nothing is staged in a temp file. Paths are relative, with `/`.
 */
export interface ExportSink {
  /** Human-readable destination, for reports. */
  readonly destination: string;
  /** Writes one file from a stream; resolves once every byte has been taken. */
  write(relativePath: string, body: NodeJS.ReadableStream, options: { compress: boolean; mtime?: Date }): Promise<void>;
  writeText(relativePath: string, text: string): Promise<void>;
  /** Finishes the destination (the zip's central directory; the rename of `.partial`). */
  close(): Promise<void>;
  /** Removes what was written, after a failure. */
  abort(): Promise<void>;
}

/** Writes into `root`, which must not exist or be empty (an export never mixes with other files). */
export async function directorySink(root: string): Promise<ExportSink> {
  const existing = await readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (existing.length > 0) throw new BadInputError(`${root} is not empty; export into a new or empty folder`, 'out');
  await mkdir(root, { recursive: true });
  const target = (relative: string) => {
    const full = path.resolve(root, ...relative.split('/'));
    if (!full.startsWith(path.resolve(root) + path.sep)) throw new BadInputError(`unsafe path ${relative}`, 'path');
    return full;
  };
  return {
    destination: path.resolve(root),
    async write(relative, body) {
      const file = target(relative);
      await mkdir(path.dirname(file), { recursive: true });
      await pipeline(body, createWriteStream(file, { flags: 'wx' }));
    },
    async writeText(relative, text) {
      const file = target(relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text, { flag: 'wx' });
    },
    async close() {},
    async abort() {
      // Only what this export wrote; the folder was empty before.
      await rm(path.resolve(root), { recursive: true, force: true });
    },
  };
}

/**
 * Writes a zip to `file` (which must not exist), as `file.partial` until complete. Entries are added one at a time and
 * each is fully consumed before the next is opened, so one download is open at a time.
 */
export async function zipSink(file: string): Promise<ExportSink> {
  const final = path.resolve(file);
  const partial = `${final}.partial`;
  await mkdir(path.dirname(final), { recursive: true });
  if (await exists(final)) throw new BadInputError(`${final} exists; export into a new file`, 'zip');
  if (await exists(partial)) {
    throw new BadInputError(`${partial} exists: an earlier export was interrupted; delete it first`, 'zip');
  }
  const output = createWriteStream(partial, { flags: 'wx' });
  await new Promise<void>((resolve, reject) => {
    output.once('open', () => resolve());
    output.once('error', reject);
  });
  const zip = new ZipFile();
  let failure: Error | undefined;
  const failed = new Promise<never>((_, reject) => {
    const fail = (error: Error) => {
      failure ??= error;
      reject(failure);
    };
    zip.on('error', fail);
    output.on('error', fail);
  });
  failed.catch(() => undefined);
  const closed = new Promise<void>((resolve) => output.once('close', () => resolve()));
  zip.outputStream.pipe(output);
  return {
    destination: final,
    async write(relative, body, options) {
      if (failure) throw failure;
      const consumed = new Promise<void>((resolve, reject) => {
        body.once('end', () => resolve());
        body.once('error', reject);
      });
      zip.addReadStreamLazy(relative, { compress: options.compress, mtime: options.mtime }, (cb) => cb(null, body));
      await Promise.race([consumed, failed]);
    },
    async writeText(relative, text) {
      if (failure) throw failure;
      zip.addBuffer(Buffer.from(text, 'utf8'), relative, { compress: true });
    },
    async close() {
      zip.end();
      await Promise.race([closed, failed]);
      if (failure) throw failure;
      await rename(partial, final);
    },
    async abort() {
      output.destroy();
      await closed.catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

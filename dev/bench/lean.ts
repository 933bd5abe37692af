import { createHash } from 'node:crypto';
import { Agent, request } from 'undici';
import type { AcsAuthenticator } from '../../shared/acs/auth';

/**
 * The floor the served copy is measured against: the least a verified streaming copy can do with these tools, written
 * small. An undici GET of the source (signed as the product signs it) read into pooled blocks; SHA-256 + MD5 of each
 * block when it is sealed; undici Put Block (`blocksInFlight` at once) to a container SAS URL; Put Block List with the
 * MD5. No resume, no retries, no leases, no manifest, no SDK. It checks its own digests: the SHA-256 against the
 * source's, the committed blob's length and Content-MD5 against its own.
 */

export interface LeanInput {
  /** The ACS endpoint host the source's requests are signed for. */
  endpointHost: string;
  auth: AcsAuthenticator;
  location: string;
  /** Container URL with a SAS that may create, write and read blobs. */
  containerSasUrl: string;
  blobName: string;
  /** The source's SHA-256 (hex), from the emulator. */
  expectedSha256: string;
  blockSizeBytes: number;
  blocksInFlight: number;
}

const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 16 });

export async function leanCopy(input: LeanInput): Promise<number> {
  const source = new URL(input.location);
  const auth = await input.auth.headers('GET', source.pathname + source.search, input.endpointHost);
  const response = await request(source, { headers: { ...auth, 'x-ms-host': input.endpointHost }, dispatcher });
  if (response.statusCode !== 200) throw new Error(`lean: the source answered ${response.statusCode}`);
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const free: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  const ids: string[] = [];
  let allocated = 0;
  let size = 0;
  const take = async (): Promise<Buffer> => {
    for (;;) {
      const buffer = free.pop();
      if (buffer) return buffer;
      if (allocated < input.blocksInFlight + 1) {
        allocated++;
        return Buffer.allocUnsafeSlow(input.blockSizeBytes);
      }
      await Promise.race(inFlight);
    }
  };
  const seal = (buffer: Buffer, length: number) => {
    const data = buffer.subarray(0, length);
    sha256.update(data);
    md5.update(data);
    const id = Buffer.from(`lean-${String(ids.length).padStart(8, '0')}`).toString('base64');
    ids.push(id);
    size += length;
    const put = putBlock(input, id, data).then(() => {
      free.push(buffer);
    });
    const tracked = put.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  let block = await take();
  let filled = 0;
  for await (const raw of response.body as AsyncIterable<Buffer>) {
    let piece = raw;
    while (piece.length > 0) {
      const n = piece.copy(block, filled);
      filled += n;
      piece = piece.subarray(n);
      if (filled === block.length) {
        seal(block, filled);
        block = await take();
        filled = 0;
      }
    }
  }
  if (filled > 0) seal(block, filled);
  await Promise.all(inFlight);
  const sha = sha256.digest('hex');
  const contentMd5 = md5.digest('base64');
  if (sha !== input.expectedSha256) throw new Error('lean: the SHA-256 differs from the source');
  const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
  await send(input, 'comp=blocklist', 'PUT', list, {
    'x-ms-blob-content-md5': contentMd5,
    'x-ms-blob-content-type': 'application/octet-stream',
  });
  const head = await request(blobUrl(input, ''), { method: 'HEAD', headers: { 'x-ms-version': VERSION }, dispatcher });
  await head.body.dump();
  if (Number(head.headers['content-length']) !== size || head.headers['content-md5'] !== contentMd5) {
    throw new Error('lean: the committed blob differs from what was staged');
  }
  return size;
}

const VERSION = '2021-12-02';

function blobUrl(input: LeanInput, query: string): string {
  const container = new URL(input.containerSasUrl);
  const url = new URL(`${container.origin}${container.pathname}/${input.blobName}${container.search}`);
  if (query) url.search = `${query}&${url.search.slice(1)}`;
  return url.href;
}

function putBlock(input: LeanInput, id: string, data: Buffer): Promise<void> {
  return send(input, `comp=block&blockid=${encodeURIComponent(id)}`, 'PUT', data, {});
}

async function send(
  input: LeanInput,
  query: string,
  method: 'PUT',
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<void> {
  const response = await request(blobUrl(input, query), {
    method,
    body,
    headers: { 'x-ms-version': VERSION, 'content-length': String(Buffer.byteLength(body)), ...headers },
    dispatcher,
  });
  const text = await response.body.text();
  if (response.statusCode !== 201) throw new Error(`lean: ${query} answered ${response.statusCode}: ${text}`);
}

import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  BlobServiceClient,
  BlockBlobClient,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { Agent } from 'undici';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../../dev/azurite';
import { UndiciStorageClient } from '../../../shared/storageHttpClient';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { FIXTURES } from '../../helpers/paths';

/**
 * The Storage SDK sending through undici: what the archive does with Azurite works the same (uploads, staged blocks,
 * conditional commits, HEAD, streamed downloads, XML listings, errors with their status), the SDK's own retry policy
 * still retries a reset connection and a 503, an abort is an AbortError that is not retried, and TLS works.
 */

const FAST_RETRIES: StoragePipelineOptions['retryOptions'] = { retryDelayInMs: 1, maxRetryDelayInMs: 1, maxTries: 3 };
const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);

describe('against Azurite', () => {
  const service = BlobServiceClient.fromConnectionString(azuriteConnectionString(), {
    httpClient: new UndiciStorageClient(),
  });
  const container = service.getContainerClient(`undici-${randomUUID().slice(0, 8)}`);
  beforeAll(async () => {
    await container.create();
  });
  afterAll(async () => {
    await container.deleteIfExists();
  });

  it('stages blocks, commits them with Content-MD5 and metadata, and reads the blob back streamed', async () => {
    const blob = container.getBlockBlobClient('staged.bin');
    const parts = [Buffer.alloc(300_000, 1), Buffer.alloc(123_457, 2)];
    const ids = ['block-0', 'block-1'].map((id) => Buffer.from(id).toString('base64'));
    for (const [i, part] of parts.entries()) await blob.stageBlock(ids[i]!, part, part.length);
    const whole = Buffer.concat(parts);
    const md5 = createHash('md5').update(whole).digest();
    await blob.commitBlockList(ids, {
      blobHTTPHeaders: { blobContentType: 'video/mp4', blobContentMD5: md5 },
      metadata: { sha256: 'abc' },
      conditions: { ifNoneMatch: '*' },
    });
    const props = await blob.getProperties();
    expect(props.contentLength).toBe(whole.length);
    expect(Buffer.from(props.contentMD5!)).toEqual(md5);
    expect(props.metadata).toEqual({ sha256: 'abc' });
    expect(props.contentType).toBe('video/mp4');
    const download = await blob.download(100, 1000);
    const pieces: Buffer[] = [];
    for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) pieces.push(piece);
    expect(Buffer.concat(pieces)).toEqual(whole.subarray(100, 1100));
    const list = await blob.getBlockList('committed');
    expect(list.committedBlocks?.map((b) => b.size)).toEqual([300_000, 123_457]);
  });

  it('reports progress to the SDK as its own client does', async () => {
    const blob = container.getBlockBlobClient('progress.bin');
    const uploaded: number[] = [];
    await blob.upload(Buffer.alloc(70_000, 7), 70_000, { onProgress: (p) => uploaded.push(p.loadedBytes) });
    expect(uploaded.at(-1)).toBe(70_000);
    const downloaded: number[] = [];
    const download = await blob.download(0, undefined, { onProgress: (p) => downloaded.push(p.loadedBytes) });
    let size = 0;
    for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) size += piece.length;
    expect(size).toBe(70_000);
    expect(downloaded.at(-1)).toBe(70_000);
  });

  it('reports a refused condition and a missing blob with their status, as the SDK always did', async () => {
    const blob = container.getBlockBlobClient('conditional.txt');
    await blob.upload('first', 5, { conditions: { ifNoneMatch: '*' } });
    await expect(blob.upload('second', 6, { conditions: { ifNoneMatch: '*' } })).rejects.toMatchObject({
      statusCode: 409,
      code: 'BlobAlreadyExists',
    });
    const { etag } = await blob.getProperties();
    await expect(blob.upload('third', 5, { conditions: { ifMatch: '"0x0"' } })).rejects.toMatchObject({
      statusCode: 412,
    });
    await blob.upload('fourth', 6, { conditions: { ifMatch: etag } });
    await expect(container.getBlockBlobClient('missing').getProperties()).rejects.toMatchObject({ statusCode: 404 });
    const names: string[] = [];
    for await (const item of container.listBlobsFlat()) names.push(item.name);
    expect(names).toContain('conditional.txt');
  });
});

/** A loopback HTTP(S) server answering as `answer` says, counting the requests it got. */
async function fakeStorage(
  answer: (request: http.IncomingMessage, response: http.ServerResponse, count: number) => void,
  tls?: { key: Buffer; cert: Buffer },
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    count++;
    request.resume();
    request.on('end', () => answer(request, response, count));
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/${AZURITE_ACCOUNT}/c/b`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const created = (response: http.ServerResponse) => {
  response.writeHead(201, { 'x-ms-request-id': randomUUID(), 'x-ms-version': '2025-01-05' });
  response.end();
};

function blobAt(url: string, client: UndiciStorageClient): BlockBlobClient {
  return new BlockBlobClient(url, credential, { httpClient: client, retryOptions: FAST_RETRIES });
}

describe('the SDK policies on top', () => {
  it('retries a connection reset before the answer, and a 503, with the SDK retry policy', async () => {
    const server = await fakeStorage((request, response, count) => {
      if (count === 1) request.socket.destroy();
      else if (count === 2) response.writeHead(503).end();
      else created(response);
    });
    try {
      await blobAt(server.url, new UndiciStorageClient()).stageBlock('aWQ=', Buffer.alloc(1000), 1000);
      expect(server.requests()).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('gives up on an abort at once: an AbortError, and no retry', async () => {
    const server = await fakeStorage(() => undefined); // never answers
    try {
      const controller = new AbortController();
      const staging = blobAt(server.url, new UndiciStorageClient()).stageBlock('aWQ=', Buffer.alloc(10), 10, {
        abortSignal: controller.signal,
      });
      setTimeout(() => controller.abort(), 100);
      await expect(staging).rejects.toMatchObject({ name: 'AbortError' });
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('ends a streamed download with an AbortError when aborted mid-body', async () => {
    const server = await fakeStorage((_request, response) => {
      response.writeHead(200, { 'content-length': String(1_000_000), 'x-ms-blob-type': 'BlockBlob', etag: '"0x1"' });
      response.write(Buffer.alloc(1000)); // then stalls
    });
    try {
      const controller = new AbortController();
      const download = await blobAt(server.url, new UndiciStorageClient()).download(0, undefined, {
        abortSignal: controller.signal,
        maxRetryRequests: 0,
      });
      const body = download.readableStreamBody!;
      const reading = (async () => {
        for await (const _piece of body as AsyncIterable<Buffer>) controller.abort();
      })();
      await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await server.close();
    }
  });
});

describe('over TLS', () => {
  const tls = {
    key: readFileSync(path.join(FIXTURES, 'tls', 'loopback.key')),
    cert: readFileSync(path.join(FIXTURES, 'tls', 'loopback.crt')),
  };

  it('sends through an Agent that trusts the server, and refuses (without retrying) one it does not', async () => {
    const server = await fakeStorage((_request, response) => created(response), tls);
    try {
      const trusting = new UndiciStorageClient({ dispatcher: new Agent({ connect: { ca: tls.cert } }) });
      await blobAt(server.url, trusting).stageBlock('aWQ=', Buffer.alloc(4096), 4096);
      expect(server.requests()).toBe(1);
      await expect(
        blobAt(server.url, new UndiciStorageClient()).stageBlock('aWQ=', Buffer.alloc(1), 1),
      ).rejects.toMatchObject({
        name: 'RestError',
        code: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE/),
      });
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../../../dev/azurite';
import { BadInputError } from '../../../../shared/errors';
import { indexParticipants } from '../../../../shared/archive/participantIndex';
import { participantRecordingsPage, recordingOfMarker } from '../../../../shared/participants/participantIndex';
import { azuriteConnectionString, listBlobs } from '../../../helpers/archiveHarness';
import { CapturedLog } from '../../../helpers/logs';

// Raw ids from Microsoft's "Understand identifier types" (REST) page; hashes from sha256sum.
const ACS_USER = '8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715';
const ACS_USER_SHA = '87738b1d71020a4916f756c4ff94316a6b0de32dd8868e236c45e9572dac83bf';
const PHONE = '4:+112345556789';
const PHONE_SHA = '6d0f8eaeffa1ab7eff33ef6b21db0bd0036411b839d873fc17f3e670ff58d252';

let control: ContainerClient;
beforeAll(async () => {
  control = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
    `ctl-${randomUUID().slice(0, 8)}`,
  );
  await control.create();
});

describe('participant index (Azurite)', () => {
  it('writes one empty marker per participant, named by the SHA-256 of the id, and is idempotent', async () => {
    const ref = { callId: 'a6d0c2b4-5e1f-4c3a-9b8d-7e6f5a4b3c2d', recordingKey: '20260512T101500Z-1a2b3c4d' };
    const log = new CapturedLog();
    await indexParticipants(control, ref, [ACS_USER, PHONE, ACS_USER], log);
    const names = await listBlobs(control, 'participants/');
    expect(names).toEqual([
      `participants/${PHONE_SHA}/a6d0c2b4-5e1f-4c3a-9b8d-7e6f5a4b3c2d/20260512T101500Z-1a2b3c4d`,
      `participants/${ACS_USER_SHA}/a6d0c2b4-5e1f-4c3a-9b8d-7e6f5a4b3c2d/20260512T101500Z-1a2b3c4d`,
    ]);
    const marker = control.getBlobClient(names[0]!);
    const before = await marker.getProperties();
    expect(before.contentLength).toBe(0);
    await indexParticipants(control, ref, [PHONE], log);
    expect((await marker.getProperties()).etag).toBe(before.etag);
    expect(log.lines.filter((l) => l.level !== 'debug')).toEqual([]);
  });

  it('skips an id that cannot be one, logging its position only, and still indexes the rest', async () => {
    const ref = { callId: 'b6d0c2b4-5e1f-4c3a-9b8d-7e6f5a4b3c2d', recordingKey: 'undated-00000000' };
    const log = new CapturedLog();
    await indexParticipants(control, ref, ['8:acs:secret\nforged line', PHONE], log);
    expect(await listBlobs(control, `participants/${PHONE_SHA}/b6d0`)).toHaveLength(1);
    expect(log.text).toMatch(/participant 0 contains control or formatting characters; skipped/);
    expect(log.text).not.toContain('secret');
  });

  it('refuses a recording reference that could escape its prefix, or that the archive never names', async () => {
    await expect(
      indexParticipants(control, { callId: '../x', recordingKey: 'k' }, [PHONE], new CapturedLog()),
    ).rejects.toThrow(/callId is not a safe path segment/);
    await expect(
      indexParticipants(control, { callId: 'call-1', recordingKey: '../../audit' }, [PHONE], new CapturedLog()),
    ).rejects.toThrow(/recordingKey is not a recording key of the archive/);
    expect(await listBlobs(control, `participants/${PHONE_SHA}/call-1/`)).toEqual([]);
  });

  it('pages a participant’s recordings in index order; an unknown participant is an empty last page', async () => {
    for (let i = 0; i < 5; i++) {
      await indexParticipants(
        control,
        { callId: `call-${i}`, recordingKey: `20260512T10150${i}Z-0000000${i}` },
        [ACS_USER],
        new CapturedLog(),
      );
    }
    const first = await participantRecordingsPage(control, ACS_USER_SHA, { pageSize: 2 });
    expect(first.recordings).toEqual([
      { callId: 'a6d0c2b4-5e1f-4c3a-9b8d-7e6f5a4b3c2d', recordingKey: '20260512T101500Z-1a2b3c4d' },
      { callId: 'call-0', recordingKey: '20260512T101500Z-00000000' },
    ]);
    expect(first.continuationToken).toEqual(expect.any(String));
    const seen = [...first.recordings];
    let token = first.continuationToken;
    while (token) {
      const page = await participantRecordingsPage(control, ACS_USER_SHA, { pageSize: 2, continuationToken: token });
      seen.push(...page.recordings);
      token = page.continuationToken;
    }
    expect(seen.map((r) => r.callId)).toEqual([
      'a6d0c2b4-5e1f-4c3a-9b8d-7e6f5a4b3c2d',
      'call-0',
      'call-1',
      'call-2',
      'call-3',
      'call-4',
    ]);
    const unknown = '0'.repeat(64);
    expect(await participantRecordingsPage(control, unknown, { pageSize: 2 })).toEqual({
      recordings: [],
      continuationToken: null,
    });
  });

  it('answers a continuation token Blob Storage refuses as bad input naming it; other failures pass as they are', async () => {
    // Blob Storage refuses a List Blobs marker it did not issue with 400 InvalidQueryParameterValue. Azurite takes any
    // marker, so a stand-in on loopback answers the way the service does; the SDK parses it as it parses Azure's.
    const server = http.createServer((_request, response) => {
      response.writeHead(400, { 'Content-Type': 'application/xml', 'x-ms-error-code': 'InvalidQueryParameterValue' });
      response.end(
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidQueryParameterValue</Code><Message>Value for one ' +
          'of the query parameters specified in the request URI is invalid.</Message>' +
          '<QueryParameterName>marker</QueryParameterName></Error>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const refusing = BlobServiceClient.fromConnectionString(
        `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
          `BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`,
      ).getContainerClient('control');
      const forged = participantRecordingsPage(refusing, ACS_USER_SHA, { pageSize: 2, continuationToken: 'forged' });
      await expect(forged).rejects.toBeInstanceOf(BadInputError);
      await expect(forged).rejects.toMatchObject({
        field: 'continuationToken',
        message: 'continuationToken is not one this API returned',
      });
      await expect(participantRecordingsPage(refusing, ACS_USER_SHA, { pageSize: 2 })).rejects.toMatchObject({
        name: 'RestError',
        statusCode: 400,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads marker names back, and nothing else', () => {
    expect(recordingOfMarker(`participants/${PHONE_SHA}/call/key`)).toEqual({
      hash: PHONE_SHA,
      callId: 'call',
      recordingKey: 'key',
    });
    expect(recordingOfMarker(`participants/${PHONE_SHA}/call`)).toBeNull();
    expect(recordingOfMarker(`participants/NOTAHASH/call/key`)).toBeNull();
    expect(recordingOfMarker(`pending/call/key`)).toBeNull();
  });
});

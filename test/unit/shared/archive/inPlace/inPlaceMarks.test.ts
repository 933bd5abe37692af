import { mergePlan, type Manifest } from '../../../../../shared/archive/manifest/manifest';
import { markArchived, markFormatFixed } from '../../../../../shared/archive/manifest/marks';
import {
  isInPlaceCandidate,
  markInPlaceFallback,
  markInPlaceWaiting,
  markVerifiedInPlace,
  type VerifiedInPlace,
} from '../../../../../shared/archive/inPlace/inPlaceMarks';
import type { ChunkRef, RecordingPlan } from '../../../../../shared/events/recordingFileStatus';

const now = new Date('2026-11-23T12:00:00Z');
const later = new Date('2026-11-23T12:01:05Z');

function chunk(index: number, endReason = 'SessionEnded'): ChunkRef {
  const base = `https://storage.asm.skype.com/v1/objects/doc-${index}`;
  return {
    index,
    documentId: `doc-${index}`,
    endReason,
    contentLocation: `${base}/content/audio`,
    metadataLocation: `${base}/content/acsmetadata`,
    deleteLocation: base,
  };
}

/** A bring-your-own-storage recording as its events describe it: storageType, no format fields. */
function byosManifest(chunks: ChunkRef[] = [chunk(0)]): Manifest {
  const plan: RecordingPlan = {
    eventId: 'e1',
    eventTime: '2026-11-23T11:00:00.000Z',
    form: 'ga', // a BYOS event is the GA form with storageType (and recordingId in data)
    callId: 'call-1',
    serverCallId: 'c2VydmVy',
    recordingId: 'rec==',
    recordingKey: '20261123T100000Z-12345678',
    recordingStartTime: '2026-11-23T10:00:00.0000000Z',
    recordingDurationMs: 1000,
    sessionEndReason: 'CallEnded',
    contentType: null,
    channelType: null,
    formatType: null,
    format: null,
    storageType: 'AzureBlob',
    deadline: '2026-11-24T10:00:01.000Z',
    chunks,
  };
  return mergePlan(null, plan, now);
}

const URL_BASE = 'https://contoso.blob.core.windows.net/recordings/20261123/call-1/rec==-guid';

function verified(overrides: Partial<VerifiedInPlace> = {}): VerifiedInPlace {
  return {
    content: {
      name: '20261123/call-1/rec==-guid/0-audiomp3.doc-0.mp3',
      url: `${URL_BASE}/0-audiomp3.doc-0.mp3`,
      size: 1234,
      sha256: 'a'.repeat(64),
      md5: 'bWQ1',
      format: 'mp3',
    },
    metadata: {
      name: '20261123/call-1/rec==-guid/0-acsmetadata.doc-0.json',
      url: `${URL_BASE}/0-acsmetadata.doc-0.json`,
      size: 321,
      sha256: 'b'.repeat(64),
    },
    sourceSize: 1234,
    attempts: 2,
    participants: ['8:acs:one', '8:acs:two'],
    channels: null,
    metadataFormat: 'mp3',
    sourceDeleteError: null,
    ...overrides,
  };
}

describe('bring your own storage in the manifest', () => {
  it('looks for a chunk in place only for a BYOS recording, once, and never after its copy started', () => {
    const manifest = byosManifest();
    const entry = manifest.chunks[0]!;
    expect(isInPlaceCandidate(manifest, entry)).toBe(true);
    expect(isInPlaceCandidate({ storageType: null }, entry)).toBe(false);
    expect(isInPlaceCandidate(manifest, { ...entry, location: 'archive' })).toBe(false);
    // A copy fixes the chunk's format before its first byte: from then on it stays a copy.
    const copying = markFormatFixed(manifest, 0, { format: 'mp3', metadataFormat: 'mp3' }, now)!;
    expect(isInPlaceCandidate(copying, copying.chunks[0]!)).toBe(false);
  });

  it('records the chunk where ACS wrote it: location external, names and URLs there, hashes, participants', () => {
    const next = markVerifiedInPlace(byosManifest(), 0, verified(), later)!;
    expect(next.status).toBe('complete');
    expect(next.chunks[0]).toMatchObject({
      status: 'archived',
      location: 'external',
      blob: '20261123/call-1/rec==-guid/0-audiomp3.doc-0.mp3',
      metadataBlob: '20261123/call-1/rec==-guid/0-acsmetadata.doc-0.json',
      blobUrl: `${URL_BASE}/0-audiomp3.doc-0.mp3`,
      metadataBlobUrl: `${URL_BASE}/0-acsmetadata.doc-0.json`,
      size: 1234,
      sourceSize: 1234,
      sha256: 'a'.repeat(64),
      md5: 'bWQ1',
      metadataSize: 321,
      metadataSha256: 'b'.repeat(64),
      format: 'mp3',
      attempts: 2,
      archivedAt: later.toISOString(),
      inPlaceFallback: null,
    });
    expect(next.participants).toEqual(['8:acs:one', '8:acs:two']);
    // No event named a format: the metadata file's is the recording's, as for a copied chunk.
    expect(next).toMatchObject({ formatType: 'mp3', format: 'mp3', formatSource: 'metadata' });
  });

  it('keeps the rest of the recording waiting for its own chunks, and names them after the format now known', () => {
    const two = byosManifest([chunk(0, 'ChunkMaximumSizeExceeded'), chunk(1)]);
    const next = markVerifiedInPlace(two, 0, verified(), later)!;
    expect(next.status).toBe('pending');
    expect(next.chunks[1]).toMatchObject({
      status: 'pending',
      blob: 'call-1/20261123T100000Z-12345678/chunk-0001.mp3',
    });
  });

  it('says why the store was not asked to delete its copy when DELETE_SOURCE_AFTER_ARCHIVE is on', () => {
    const next = markVerifiedInPlace(byosManifest(), 0, verified({ sourceDeleteError: 'not deleted: in place' }), now)!;
    expect(next.chunks[0]!.sourceDeleteError).toBe('not deleted: in place');
    expect(next.chunks[0]!.sourceDeletedAt ?? null).toBeNull();
  });

  it('never touches a chunk that is already archived (or unknown)', () => {
    const manifest = byosManifest();
    const copied = markArchived(
      manifest,
      0,
      { size: 1, sha256: 'c'.repeat(64), md5: 'x', attempts: 1, participants: [], channels: null },
      now,
    )!;
    expect(markVerifiedInPlace(copied, 0, verified(), later)).toBeNull();
    expect(markVerifiedInPlace(manifest, 7, verified(), later)).toBeNull();
    expect(markInPlaceFallback(copied, 0, 'why', later)).toBeNull();
    expect(markInPlaceWaiting(copied, 0, later)).toBeNull();
  });

  it('keeps the time of the first look that found nothing, and decides a fallback once', () => {
    const waiting = markInPlaceWaiting(byosManifest(), 0, now)!;
    expect(waiting.chunks[0]).toMatchObject({ status: 'pending', inPlaceWaitingSince: now.toISOString() });
    expect(markInPlaceWaiting(waiting, 0, later)!.chunks[0]!.inPlaceWaitingSince).toBe(now.toISOString());
    const fallen = markInPlaceFallback(waiting, 0, 'not in the customer container', later)!;
    expect(fallen.chunks[0]).toMatchObject({
      status: 'pending',
      location: 'archive',
      inPlaceFallback: 'not in the customer container',
      blob: 'call-1/20261123T100000Z-12345678/chunk-0000.bin',
    });
    expect(isInPlaceCandidate(fallen, fallen.chunks[0]!)).toBe(false);
    expect(markInPlaceFallback(fallen, 0, 'again', later)).toBeNull();
  });
});

import type { Manifest } from '../../../../shared/archive/manifest/manifest';
import { BadInputError } from '../../../../shared/errors';
import { renderExportReadme } from '../../../../shared/participants/exportReadme';
import type { ExportReport } from '../../../../shared/participants/exportParticipant';
import {
  parseContinuationToken,
  parsePageSize,
  toRecordingView,
} from '../../../../shared/participants/participantRecordingViews';

describe('the recordings API, pure parts', () => {
  it('reads pageSize: default 20, 1-100, anything else a 400 naming pageSize', () => {
    expect(parsePageSize(null)).toBe(20);
    expect(parsePageSize('1')).toBe(1);
    expect(parsePageSize('100')).toBe(100);
    for (const bad of ['0', '101', '-1', '2.5', 'ten', '1e2']) {
      expect(() => parsePageSize(bad)).toThrow(BadInputError);
      expect(() => parsePageSize(bad)).toThrow(/^pageSize must be a whole number from 1 to 100$/);
    }
  });

  it('passes a continuation token through, refusing what no page returned', () => {
    expect(parseContinuationToken(null)).toBeUndefined();
    // Opaque: Blob Storage's NextMarker (Azurite's is the next blob name).
    expect(parseContinuationToken('participants/87738b1d/call-1/key-1')).toBe('participants/87738b1d/call-1/key-1');
    expect(() => parseContinuationToken('a b')).toThrow(/continuationToken/);
    expect(() => parseContinuationToken('x'.repeat(2049))).toThrow(/continuationToken/);
  });

  it('answers every manifest field but the chunks’ source locations', () => {
    const manifest = {
      schemaVersion: 1,
      callId: 'c',
      recordingKey: 'k',
      status: 'complete',
      participants: ['8:acs:x'],
      chunks: [
        {
          index: 0,
          documentId: '0-eus-d2-abc',
          endReason: 'SessionEnded',
          contentLocation: 'https://storage.asm.skype.com/v1/objects/0-eus-d2-abc/content/video',
          metadataLocation: 'https://storage.asm.skype.com/v1/objects/0-eus-d2-abc/content/acsmetadata',
          deleteLocation: 'https://us-storage.asm.skype.com/v1/objects/0-eus-d2-abc',
          status: 'archived',
          blob: 'c/k/chunk-0000.mp4',
          sha256: 'ab',
        },
      ],
    } as unknown as Manifest;
    const before = structuredClone(manifest);
    const view = toRecordingView(manifest, '8:acs:x');
    expect(view).toEqual({
      schemaVersion: 1,
      callId: 'c',
      recordingKey: 'k',
      status: 'complete',
      participantCount: 1,
      channels: null,
      chunks: [
        {
          index: 0,
          documentId: '0-eus-d2-abc',
          endReason: 'SessionEnded',
          status: 'archived',
          blob: 'c/k/chunk-0000.mp4',
          sha256: 'ab',
        },
      ],
    });
    // The manifest it was given is left as it was.
    expect(manifest).toEqual(before);
  });

  it("never answers another participant's id: a count, and the caller's own id only as the caller gave it", () => {
    // Raw ids in the forms of Microsoft's "Understand identifier types": a Communication user, a phone number.
    const caller = '8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715';
    const phone = '4:+112345556789';
    const manifest = {
      schemaVersion: 1,
      callId: 'c',
      recordingKey: 'k',
      status: 'complete',
      // The caller twice (two forms of one id), and someone with a phone.
      participants: [caller, caller.toUpperCase(), phone],
      channels: [
        { channel: 0, participantId: caller },
        { channel: 1, participantId: phone },
      ],
      chunks: [],
    } as unknown as Manifest;
    const asked = caller.toUpperCase().replace('8:ACS:', '8:acs:');
    const view = toRecordingView(manifest, asked);
    expect(view).not.toHaveProperty('participants');
    expect(view.participantCount).toBe(2);
    expect(view.channels).toEqual([
      { channel: 0, participantId: asked },
      { channel: 1, participantId: null },
    ]);
    const text = JSON.stringify(view);
    expect(text).not.toContain('112345556789');
    expect(text).not.toContain(caller);
  });
});

describe('the export README', () => {
  const report: ExportReport = {
    participantSha256: '87738b1d71020a4916f756c4ff94316a6b0de32dd8868e236c45e9572dac83bf',
    exportedAt: '2026-05-12T10:15:00.000Z',
    destination: '/tmp/x',
    dryRun: false,
    files: 3,
    bytes: 1234,
    mismatches: 1,
    missing: 1,
    recordings: [
      {
        callId: 'c',
        recordingKey: '20260512T101500Z-1a2b3c4d',
        status: 'failed',
        recordingStartTime: '2026-05-12T10:15:00.0000000Z',
        recordingDurationMs: 6620,
        participants: 2,
        chunksNotArchived: [{ index: 1, status: 'expired' }],
        missing: ['c/20260512T101500Z-1a2b3c4d/chunk-0002.metadata.json'],
        problems: [],
        files: [
          {
            path: 'c/20260512T101500Z-1a2b3c4d/manifest.json',
            size: 900,
            sha256: 'aa',
            expectedSha256: null,
            expectedSize: null,
            reference: 'none',
            check: 'no-reference',
            problem: null,
          },
          {
            path: 'c/20260512T101500Z-1a2b3c4d/chunk-0000.mp4',
            size: 300,
            sha256: 'bb',
            expectedSha256: 'cc',
            expectedSize: 300,
            reference: 'manifest',
            check: 'mismatch',
            problem: 'SHA-256 bb, the manifest says cc',
          },
          {
            path: 'c/20260512T101500Z-1a2b3c4d/chunk-0000.metadata.json',
            size: 34,
            sha256: 'dd',
            expectedSha256: 'dd',
            expectedSize: null,
            reference: 'blob-metadata',
            check: 'ok',
            problem: null,
          },
        ],
      },
    ],
  };

  it('says what was found, when, and each file’s SHA-256 with its check', () => {
    const text = renderExportReadme(report);
    expect(text).toContain('Exported at:      2026-05-12T10:15:00.000Z');
    expect(text).toContain(
      'Participant:      SHA-256 87738b1d71020a4916f756c4ff94316a6b0de32dd8868e236c45e9572dac83bf',
    );
    expect(text).toContain('Recordings found: 1');
    expect(text).toContain('Hash mismatches:  1');
    expect(text).toContain("Missing files:    1 (the archive's manifest says archived; not in the archive)");
    expect(text).toContain('  MISSING: chunk-0002.metadata.json (the manifest says it is archived)');
    expect(text).toContain('Recording c/20260512T101500Z-1a2b3c4d');
    expect(text).toContain('  chunk 1 is not in the archive (expired)');
    expect(text).toContain('    manifest.json  900 bytes  sha256 aa  no reference hash in the archive');
    expect(text).toContain('    chunk-0000.mp4  300 bytes  sha256 bb  MISMATCH: SHA-256 bb, the manifest says cc');
    expect(text).toContain("    chunk-0000.metadata.json  34 bytes  sha256 dd  matches the blob's sha256 metadata");
    expect(text).toContain('review them before handing this export to anyone');
  });

  it('says so when nothing was found', () => {
    expect(renderExportReadme({ ...report, recordings: [], files: 0, bytes: 0, mismatches: 0, missing: 0 })).toContain(
      'No recording of this participant was found in the archive.',
    );
  });
});

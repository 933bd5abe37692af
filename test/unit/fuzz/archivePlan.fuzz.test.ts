import fc from 'fast-check';
import { chunksToCopy, mergePlan, type Manifest } from '../../../shared/archive/manifest/manifest';
import { AppError, BadInputError } from '../../../shared/errors';
import { toEventEnvelope } from '../../../shared/events/envelope';
import { planFromEvent, type RecordingPlan } from '../../../shared/events/recordingFileStatus';
import { corpusEvent, PUBLISHED_SERVER_CALL_ID } from '../../helpers/corpus';

/**
 * Property-based tests over the pure archive planning: whatever arrives, the outcome is either a valid plan or a
 * classified rejection (BadInputError); never an unclassified throw, never a blob name outside the recording's
 * folder, and merging never loses a chunk the manifest had.
 */

const options = {
  endpoint: new URL('https://contoso.communication.azure.com/'),
  dialect: 'conversations' as const,
  retentionHours: 24,
};
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

function plan(raw: unknown): RecordingPlan | BadInputError {
  try {
    return planFromEvent(toEventEnvelope(raw), options);
  } catch (error) {
    if (error instanceof BadInputError) return error;
    throw error; // an unclassified throw fails the property
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const hostile = fc.constantFrom(
  '..',
  '../..',
  '/',
  '%2e%2e',
  '..\\',
  '\u0000',
  'a/../../b',
  '',
  ' ',
  'x'.repeat(300),
  '-',
  '_',
);

/** Mutations of a valid event: set, delete or replace any field at any depth with junk or hostile strings. */
function mutated(): fc.Arbitrary<unknown> {
  const paths = [
    ['id'],
    ['subject'],
    ['eventType'],
    ['eventTime'],
    ['data'],
    ['data', 'recordingStorageInfo'],
    ['data', 'recordingStorageInfo', 'recordingChunks'],
    ['data', 'recordingStorageInfo', 'recordingChunks', 0],
    ['data', 'recordingStorageInfo', 'recordingChunks', 0, 'index'],
    ['data', 'recordingStorageInfo', 'recordingChunks', 0, 'documentId'],
    ['data', 'recordingStorageInfo', 'recordingChunks', 0, 'endReason'],
    ['data', 'recordingStorageInfo', 'recordingChunks', 0, 'contentLocation'],
    ['data', 'recordingStorageInfo', 'recordingChunks', 0, 'metadataLocation'],
    ['data', 'recordingStartTime'],
    ['data', 'recordingDurationMs'],
    ['data', 'recordingFormatType'],
  ];
  const mutation = fc.record({
    path: fc.constantFrom(...paths),
    action: fc.constantFrom('set', 'delete'),
    value: fc.oneof(jsonValue, hostile, fc.integer(), fc.double(), fc.constant(null)),
  });
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((mutations) => {
    const event = corpusEvent('learn/event-grid-voice-video.2022.RecordingFileStatusUpdated.json', {
      '{server-call-id}': PUBLISHED_SERVER_CALL_ID,
    });
    for (const { path, action, value } of mutations) {
      let target: any = event;
      for (const key of path.slice(0, -1)) {
        if (typeof target !== 'object' || target === null) break;
        target = target[key as never];
      }
      if (typeof target !== 'object' || target === null) continue;
      const last = path[path.length - 1] as never;
      if (action === 'delete') delete target[last];
      else target[last] = value;
    }
    return event;
  });
}

function insideFolder(p: RecordingPlan, manifest: Manifest): boolean {
  const folder = `${p.callId}/${p.recordingKey}/`;
  return manifest.chunks.every(
    (c) =>
      c.blob.startsWith(folder) &&
      c.metadataBlob.startsWith(folder) &&
      !c.blob.slice(folder.length).includes('/') &&
      !c.blob.includes('..') &&
      /^chunk-\d{4}\.(mp4|mp3|wav|bin)$/.test(c.blob.slice(folder.length)),
  );
}

describe('archive planning under fuzzing', () => {
  it('gives a plan or a classified rejection for any mutation of a valid event; plans stay inside their folder', () => {
    fc.assert(
      fc.property(mutated(), (raw) => {
        const result = plan(raw);
        if (result instanceof BadInputError) {
          expect(result.message.length).toBeGreaterThan(0);
          return;
        }
        expect(result.callId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
        expect(result.recordingKey).toMatch(/^(\d{8}T\d{6}Z|undated)-[0-9a-f]{8}$/);
        expect(insideFolder(result, mergePlan(null, result, new Date()))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('classifies any junk as a rejection, never an unclassified throw', () => {
    fc.assert(
      fc.property(fc.oneof(jsonValue, fc.anything()), (raw) => {
        let thrown: unknown;
        try {
          toEventEnvelope(raw);
          plan(raw);
        } catch (error) {
          thrown = error;
        }
        if (thrown !== undefined) expect(thrown).toBeInstanceOf(AppError);
      }),
      { numRuns: RUNS },
    );
  });

  it('never loses a chunk the manifest had, whatever events are merged in whatever order', () => {
    const chunkArb = fc.record({
      index: fc.integer({ min: 0, max: 20 }),
      doc: fc.constantFrom('a', 'b'),
      endReason: fc.constantFrom('SessionEnded', 'ChunkMaximumSizeExceeded'),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(chunkArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        (events) => {
          let manifest: Manifest | null = null;
          const base = corpusEvent('eventgrid-examples/event-grid-schema.recording_file_status_updated.json');
          events.forEach((chunks, n) => {
            const raw = structuredClone(base);
            raw.id = `event-${n}`;
            raw.data.recordingStorageInfo.recordingChunks = chunks.map((c) => ({
              documentId: `doc-${c.index}-${c.doc}`,
              index: c.index,
              endReason: c.endReason,
              contentLocation: `https://storage.asm.skype.com/v1/objects/doc-${c.index}-${c.doc}/content/video`,
              metadataLocation: `https://storage.asm.skype.com/v1/objects/doc-${c.index}-${c.doc}/content/acsmetadata`,
            }));
            const p = plan(raw);
            if (p instanceof BadInputError) return;
            const before: Manifest | null = manifest;
            try {
              manifest = mergePlan(before, p, new Date());
            } catch (error) {
              expect(error).toBeInstanceOf(BadInputError);
              return;
            }
            if (before) {
              for (const old of before.chunks) {
                const kept = manifest.chunks.find((c) => c.index === old.index);
                expect(kept?.documentId).toBe(old.documentId);
              }
            }
            const indices = manifest.chunks.map((c) => c.index);
            expect(indices).toEqual([...new Set(indices)].sort((a, b) => a - b));
            expect(chunksToCopy(manifest).every((c) => c.status === 'pending')).toBe(true);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

import { formatReport, runLoad } from '../../../dev/load/load';
import { azuriteConnectionString } from '../../helpers/archiveHarness';

/**
 * A short profile of `npm run load`: concurrent and duplicate deliveries, injected faults and a kill of the host
 * process mid-run, then every archive verified byte for byte. It asserts only what must never happen.
 */
it('loses, corrupts and duplicates nothing under duplicates, faults and a crash', async () => {
  const report = await runLoad({
    recordings: 16,
    inFlight: 8,
    duplicateRate: 0.3,
    faultRate: 0.5,
    kills: 1,
    maxChunks: 3,
    maxChunkBytes: 256 * 1024,
    azuriteConnectionString: azuriteConnectionString(),
  });
  expect({
    lost: report.lost,
    corrupted: report.corrupted,
    duplicateBlobs: report.duplicateBlobs,
    problems: report.problems,
  }).toEqual({
    lost: 0,
    corrupted: 0,
    duplicateBlobs: 0,
    problems: [],
  });
  // The profile really exercised what it claims to (otherwise the zeros above would prove nothing).
  expect(report).toMatchObject({ recordings: 16, archived: 16, restarts: 1 });
  expect(report.duplicates).toBeGreaterThan(0);
  expect(report.faults).toBeGreaterThan(0);
  process.stdout.write(`${formatReport(report)}\n`);
}, 180_000);

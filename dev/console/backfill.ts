import { getConfig } from '../../shared/config';
import { backfillRecordingList, consoleStores } from '../../shared/console';

/**
 * `npm run console:backfill`: puts every recording archived before the console existed on its recording list (the
 * archiver adds each new one as its first event arrives). Settings as for the CLI (ARCHIVE_STORAGE_*,
 * ARCHIVE_CONTAINER, CONTROL_CONTAINER, AUDIT_CONTAINER). Lists the whole archive once; running it again changes
 * nothing.
 */
async function main(): Promise<void> {
  const stores = await consoleStores(getConfig());
  let last = 0;
  const listed = await backfillRecordingList(stores, (n) => {
    if (n - last >= 500) {
      last = n;
      console.log(`  ${n} recordings listed…`);
    }
  });
  console.log(`Done: ${listed} recording(s) on the console's list.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

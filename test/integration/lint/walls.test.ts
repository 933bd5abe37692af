import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * The architecture's walls are lint errors in the configuration CI runs (eslint.config.mjs): a violation planted in
 * real files (linted as text, never written) fails, and the files as they are pass.
 */

interface Planted {
  file: string;
  code: string;
}

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

/** Lints each text as the named file with the repository's own ESLint configuration; the walls rule's messages. */
function wallMessages(planted: Planted[]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const eslint = new ESLint();
    const out = [];
    for (const p of JSON.parse(process.argv[1])) {
      const [result] = await eslint.lintText(p.code, { filePath: p.file });
      const fatal = result.messages.filter((m) => m.fatal);
      if (fatal.length > 0) throw new Error(p.file + ': ' + fatal.map((m) => m.message).join('; '));
      out.push(result.messages.filter((m) => m.ruleId === 'walls/architecture').map((m) => m.message));
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(planted)], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    // NOTE: typescript-eslint takes CI=true for a single lint run and then parses each file as it is on disk, not the
    // text it is given (its "single run" inference); the planted text must be parsed, so that inference is off here.
    env: { ...process.env, TSESTREE_SINGLE_RUN: 'false' },
  });
  return JSON.parse(stdout) as string[][];
}

it('fails on a planted violation of each wall, and not on the code as it is', () => {
  // An existing file (the type-aware rules need it in the TypeScript program), its text with one import added.
  const plant = (file: string, line: string): Planted => ({ file, code: `${line}\n${read(file)}` });
  const messages = wallMessages([
    plant('shared/events/envelope.ts', "import { ingestEvent } from '../archive';\nvoid ingestEvent;"),
    plant('shared/recording/naming.ts', "import { parseEventEnvelopes } from '../events';\nvoid parseEventEnvelopes;"),
    plant('shared/archive/ingest.ts', "import { exportParticipant } from '../participants';\nvoid exportParticipant;"),
    plant('shared/control/callStore.ts', "import { startAzurite } from '../../dev/azurite';\nvoid startAzurite;"),
    plant('functions/sweepArchives.ts', "import { ingestEvent } from '../shared/archive/ingest';\nvoid ingestEvent;"),
    plant('dev/emulator/main.ts', "import { safeText } from '../../shared/text';\nvoid safeText;"),
    { file: 'functions/archiveRecording.ts', code: read('functions/archiveRecording.ts') },
    { file: 'shared/archive/copyChunk.ts', code: read('shared/archive/copyChunk.ts') },
  ]);
  expect(messages).toEqual([
    [expect.stringContaining('shared/events/ may import only the ground files, recording/, not shared/archive/')],
    [expect.stringContaining('shared/recording/ may import only the ground files, not shared/events/')],
    [expect.stringContaining('not shared/participants/')],
    [expect.stringContaining('shared/ is the product: it never imports dev/')],
    [expect.stringContaining("functions/ imports only a folder's face: import '../shared/archive'")],
    [expect.stringContaining('the ACS emulator never imports the product (shared/)')],
    [],
    [],
  ]);
}, 120_000);

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as yauzl from 'yauzl';
import { buildPackage as packageApp } from '../../../dev/package/package';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * The deployment package, proven on a real zip: dev/package (the same tool azd's prepackage hook runs) builds it from
 * the compiled app and the installed node_modules; the test opens the zip with yauzl, checks what is and is not in
 * it, extracts it, and loads the app from the extracted folder alone, the way the Node worker does.
 * Needs `npm run build` first (as every test that runs dist/).
 */

const ROOT = REPO_ROOT;
const PACKAGER = path.join(ROOT, 'dist-dev', 'dev', 'package', 'package.js');
const HOST_LOADER = path.join(ROOT, 'dist-dev', 'dev', 'host', 'index.js');

/** The functions of the contract (docs/architecture.md), and the compiled file each is registered from. */
const FUNCTIONS: Record<string, string> = {
  archiveRecording: 'eventGrid',
  archiveChunk: 'storageQueue',
  callEvents: 'http',
  callAutomationEvents: 'http',
  recordings: 'http',
  recordingState: 'http',
  participants: 'http',
  console: 'http',
  consoleApi: 'http',
  sweepArchives: 'timer',
};

/** devDependencies of this repository (and what they pull in) that must never reach Azure. */
const NEVER_DEPLOYED = [
  'jest',
  'ts-jest',
  'typescript',
  'eslint',
  '@eslint/js',
  'typescript-eslint',
  '@typescript-eslint/parser',
  'azurite',
  'prettier',
  'fast-check',
  'yauzl',
  '@types/node',
  '@types/jest',
  '@azure/communication-call-automation',
];

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (error, zip) => (error ? reject(error) : resolve(zip))),
  );
}

/** Every entry of the zip; with `into`, also writes each file there. */
async function readZip(file: string, into?: string): Promise<string[]> {
  const zip = await openZip(file);
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      if (!into || entry.fileName.endsWith('/')) {
        zip.readEntry();
        return;
      }
      const target = path.join(into, entry.fileName);
      if (!target.startsWith(into + path.sep)) {
        reject(new Error(`zip entry escapes its folder: ${entry.fileName}`));
        return;
      }
      mkdirSync(path.dirname(target), { recursive: true });
      zip.openReadStream(entry, (error, stream) => {
        if (error) {
          reject(error);
          return;
        }
        pipeline(stream, createWriteStream(target)).then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
  return names;
}

function buildPackage(stage: string, zip: string): void {
  const result = spawnSync(process.execPath, [PACKAGER, '--stage', stage, '--out', zip], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`packaging failed (${result.status}):\n${result.stderr}${result.stdout}`);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? walk(path.join(dir, entry.name), relative) : [relative];
  });
}

describe('the deployment package (a real zip built by dev/package)', () => {
  let work: string;
  let zipFile: string;
  let stage: string;
  let extracted: string;
  let entries: string[];

  beforeAll(async () => {
    if (!existsSync(PACKAGER)) throw new Error(`${PACKAGER} is missing: run npm run build first`);
    work = mkdtempSync(path.join(os.tmpdir(), 'cra-package-'));
    stage = path.join(work, 'app');
    zipFile = path.join(work, 'call-recording-archiver.zip');
    extracted = path.join(work, 'extracted');
    buildPackage(stage, zipFile);
    mkdirSync(extracted);
    entries = await readZip(zipFile, extracted);
  }, 240_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('holds host.json, package.json, the lock file and every function', () => {
    for (const name of ['host.json', 'package.json', 'package-lock.json']) expect(entries).toContain(name);
    for (const name of Object.keys(FUNCTIONS)) expect(entries).toContain(`dist/functions/${name}.js`);
    // The console's browser modules ship beside the code that serves them: nothing is built or fetched in Azure.
    for (const name of ['app.js', 'api.js', 'list.js', 'recording.js', 'player.js', 'format.js']) {
      expect(entries).toContain(`dist/shared/console/ui/${name}`);
    }
    expect(JSON.parse(readFileSync(path.join(extracted, 'package.json'), 'utf8'))).toMatchObject({
      main: 'dist/functions/*.js',
    });
    expect(readFileSync(path.join(extracted, 'host.json'), 'utf8')).toBe(
      readFileSync(path.join(ROOT, 'host.json'), 'utf8'),
    );
  });

  test('holds no devDependency', () => {
    const packages = new Set(
      entries
        .filter((e) => e.startsWith('node_modules/'))
        .map((e) => {
          const parts = e.split('/');
          return parts[1]!.startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]!;
        }),
    );
    for (const name of NEVER_DEPLOYED)
      expect({ name, deployed: packages.has(name) }).toEqual({ name, deployed: false });
    expect([...packages].filter((name) => name.startsWith('@types/'))).toEqual([]);
    // Nothing nested either (node_modules/x/node_modules/jest...).
    for (const entry of entries)
      expect({
        entry,
        dev: /(^|\/)node_modules\/(jest|typescript|eslint|azurite|ts-jest|@types)\//.test(entry),
      }).toEqual({
        entry,
        dev: false,
      });
  });

  test('holds every production dependency, and everything the compiled app requires resolves inside it', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of Object.keys(pkg.dependencies)) expect(entries).toContain(`node_modules/${name}/package.json`);
    // Every bare module the packaged app's own code requires, lazily required ones included (@azure/identity).
    const required = new Set<string>();
    for (const file of walk(path.join(extracted, 'dist')).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(path.join(extracted, 'dist', file), 'utf8');
      for (const m of text.matchAll(/\b(?:require|import)\((["'])([^"'./][^"']*)\1\)/g)) {
        const specifier = m[2]!;
        if (!specifier.startsWith('node:')) required.add(specifier);
      }
    }
    expect([...required]).toEqual(
      expect.arrayContaining(['@azure/functions', '@azure/storage-blob', '@azure/identity']),
    );
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        `const ids = ${JSON.stringify([...required])}; const out = {};
         for (const id of ids) { try { out[id] = require.resolve(id, { paths: [${JSON.stringify(extracted)}] }); } catch (e) { out[id] = 'MISSING: ' + e.code; } }
         process.stdout.write(JSON.stringify(out));`,
      ],
      { cwd: os.tmpdir(), encoding: 'utf8' },
    );
    const resolved = JSON.parse(probe.stdout) as Record<string, string>;
    for (const [id, where] of Object.entries(resolved)) {
      const builtin = !where.includes(path.sep);
      expect({ id, inside: builtin || where.startsWith(path.join(extracted, 'node_modules') + path.sep) }).toEqual({
        id,
        inside: true,
      });
    }
  });

  test('holds no sources, tests, local tools, settings or infrastructure', () => {
    for (const entry of entries) {
      expect({ entry, typescript: /\.[cm]?ts$/.test(entry) }).toEqual({ entry, typescript: false });
      expect({
        entry,
        excluded:
          /^(functions|shared|dev|cli|test|infra|\.git|\.azure|\.package|coverage|dist-dev)\/|^dist\/(?!functions\/|shared\/)|(^|\/)local\.settings[^/]*\.json$|^(tsconfig[^/]*|jest\.config\.js|eslint\.config\.mjs|azure\.yaml|\.funcignore)$/.test(
            entry,
          ),
      }).toEqual({ entry, excluded: false });
    }
  });

  test('the packaged app loads from the extracted folder alone, with every function registered', () => {
    // A fresh process outside the repository: the app resolves its modules from the extracted node_modules only; the
    // local host's loader (with the @azure/functions-core stand-in the worker provides) comes from the repository.
    const script = `
      const { loadApp } = require(${JSON.stringify(HOST_LOADER)});
      const loaded = loadApp(${JSON.stringify(extracted)});
      const outside = Object.keys(require.cache).filter((id) => id.includes('${path.sep}node_modules${path.sep}@azure${path.sep}functions${path.sep}') && !id.startsWith(${JSON.stringify(extracted)}));
      process.stdout.write(JSON.stringify({ functions: loaded.map((f) => [f.name, f.trigger]), outside }));`;
    const result = spawnSync(process.execPath, ['-e', script], {
      cwd: os.tmpdir(),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { functions: [string, string][]; outside: string[] };
    expect(Object.fromEntries(report.functions)).toEqual(FUNCTIONS);
    // @azure/functions came from the package, not from the repository's node_modules.
    expect(report.outside).toEqual([]);
  });

  test('azd zips the staged folder: the same files as the zip, plus the .funcignore it applies and leaves out', () => {
    const staged = walk(stage).sort();
    expect(staged).toEqual([...entries, '.funcignore'].sort());
    expect(
      readFileSync(path.join(stage, '.funcignore'), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#')),
    ).toEqual(['.funcignore']);
  });

  test('is reproducible: packaging again gives the same bytes', () => {
    const again = path.join(work, 'again.zip');
    buildPackage(path.join(work, 'app-again'), again);
    expect(sha256(again)).toBe(sha256(zipFile));
  }, 240_000);
});

describe('the packager', () => {
  it('refuses a dist/ that holds anything but the product build (a local tool compiled into it, say)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'cra-package-root-'));
    try {
      for (const file of ['host.json', 'package.json', 'package-lock.json']) {
        writeFileSync(path.join(root, file), readFileSync(path.join(ROOT, file)));
      }
      for (const folder of ['functions', 'shared', 'dev/host'])
        mkdirSync(path.join(root, 'dist', folder), { recursive: true });
      writeFileSync(path.join(root, 'dist', 'functions', 'a.js'), '');
      writeFileSync(path.join(root, 'dist', 'dev', 'host', 'serve.js'), '');
      await expect(
        packageApp({ root, stageDir: path.join(root, '.package', 'app'), zipFile: null, allowNative: false }),
      ).rejects.toThrow(/holds dev, which the product build does not write: delete dist\/ and run npm run build/);
      expect(existsSync(path.join(root, '.package', 'app', 'dist'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

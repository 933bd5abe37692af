import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { repoRoot } from '../repoRoot';

/**
 * Builds the deployment package of the function app: exactly what the Functions host needs and nothing else.
 *
 *   dist/            the product build (tsconfig.json: functions/ and shared/ only; local tools and the CLI build
 *                    into dist-dev/); anything else found in dist/ (a stale file of an older layout) stops the package
 *   host.json        the host's configuration
 *   package.json     `main` tells the Node worker where the functions are; + package-lock.json
 *   node_modules/    the production dependency closure only: what `npm ls --omit=dev` lists, copied from the
 *                    installed node_modules (so no network and exactly the versions the tests ran with), without
 *                    what Node never loads (TypeScript sources and declarations, source maps, docs)
 *
 * `npm run package` writes .package/app (the staged folder) and .package/call-recording-archiver.zip. azd runs
 * `--stage-only` as the service's prepackage hook and zips .package/app itself (azure.yaml: `dist: .package/app`,
 * `remoteBuild: false`), so `azd package`/`azd deploy` and this tool ship the same files.
 * Run after `npm run build` (tsc); the tool never compiles.
 */

export interface PackageOptions {
  /** The repository (the folder with package.json and node_modules). */
  root: string;
  /** Folder the package is staged into; emptied first. */
  stageDir: string;
  /** Zip to write; null: stage only. */
  zipFile: string | null;
  /** Allow compiled native addons (*.node) in node_modules; off: a package built on macOS or Windows would break on Linux. */
  allowNative: boolean;
}

export interface PackageReport {
  stageDir: string;
  zipFile: string | null;
  files: number;
  bytes: number;
  /** Production packages copied (node_modules/...), relative paths. */
  dependencies: string[];
}

/** Top-level folders of dist/ that are not part of the app the host runs. */
/** What the product build (tsconfig.json) writes into dist/; nothing else may be deployed. */
const PRODUCT_DIST = new Set(['functions', 'shared']);
/** Compiled output the app needs at run time (source maps give readable stack traces). */
const DIST_FILE = /\.(js|cjs|mjs|json|js\.map)$/;
/** Files at the root of the package. */
const ROOT_FILES = ['host.json', 'package.json', 'package-lock.json'];
/**
 * Files of production packages Node never loads at run time: TypeScript sources and declarations, source maps and
 * documentation (about half of the bytes). Licence and notice files always stay.
 */
const NOT_RUNTIME = /\.([cm]?ts|map|md|markdown)$/i;
const LEGAL = /^(licen[cs]e|notice|copying|third[-_]?party)/i;

/** Fixed time for every zip entry: the same input gives the same bytes. */
const ZIP_MTIME = new Date(Date.UTC(2000, 0, 1));

/**
 * Written into the staged folder. azd zips that folder applying `.funcignore` when one exists there, and WITHOUT one
 * it drops node_modules of a JavaScript/TypeScript function app (createDeployableZip in azure-dev,
 * cli/azd/pkg/project/project_utils.go). The folder is already exactly the package, so this file ignores nothing
 * but itself (azd never zips the ignore file).
 */
const STAGED_FUNCIGNORE = `# Written by dev/package: this folder is the deployment package, exactly (see dev/package/package.ts).
# Its presence makes azd apply it instead of default exclusions that would drop node_modules.
.funcignore
`;

export function productionDependencies(root: string): string[] {
  let output: string;
  try {
    output = execFileSync(npmCommand(), ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      shell: process.platform === 'win32',
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `npm ls --omit=dev found problems in node_modules (run npm ci, then package again):\n${stderr.trim()}`,
    );
  }
  const modules = path.join(root, 'node_modules') + path.sep;
  return output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith(modules))
    .map((line) => path.relative(root, line))
    .sort();
}

function npmCommand(): string {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** Every file under `dir` (following symbolic links), relative to it, skipping folders `skip` refuses. */
function walk(dir: string, skip: (relative: string, name: string) => boolean, prefix = ''): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const relative = prefix ? `${prefix}/${name}` : name;
    const full = path.join(dir, name);
    const stats = statSync(full);
    if (stats.isDirectory()) {
      if (!skip(relative, name)) files.push(...walk(full, skip, relative));
    } else if (stats.isFile()) {
      files.push(relative);
    }
  }
  return files;
}

function copyInto(source: string, target: string): void {
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(source, target);
}

/** Folders of the repository the stage folder may never be (it is emptied). */
const PROTECTED = new Set(['dist', 'functions', 'shared', 'dev', 'cli', 'test', 'infra', 'node_modules', '.git']);

function assertSafeToEmpty(root: string, stageDir: string): void {
  const fromRoot = path.relative(root, stageDir);
  const insideRoot = fromRoot !== '' && !fromRoot.startsWith('..') && !path.isAbsolute(fromRoot);
  const toRoot = path.relative(stageDir, root);
  const containsRoot = toRoot === '' || (!toRoot.startsWith('..') && !path.isAbsolute(toRoot));
  const top = fromRoot.split(path.sep)[0] ?? '';
  if (containsRoot || (insideRoot && PROTECTED.has(top)) || existsSync(path.join(stageDir, '.git'))) {
    throw new Error(`refusing to empty ${stageDir}: stage into a folder of its own (default .package/app)`);
  }
}

export async function buildPackage(options: PackageOptions): Promise<PackageReport> {
  const root = path.resolve(options.root);
  const stageDir = path.resolve(options.stageDir);
  const dist = path.join(root, 'dist');
  if (!existsSync(path.join(dist, 'functions'))) {
    throw new Error(`${path.join(dist, 'functions')} does not exist: run npm run build first`);
  }
  for (const file of ROOT_FILES) {
    if (!existsSync(path.join(root, file))) throw new Error(`${path.join(root, file)} is missing`);
  }
  const foreign = readdirSync(dist).filter((entry) => !PRODUCT_DIST.has(entry));
  if (foreign.length > 0) {
    throw new Error(
      `${dist} holds ${foreign.join(', ')}, which the product build does not write: delete dist/ and run npm run build`,
    );
  }
  assertSafeToEmpty(root, stageDir);
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });

  // The compiled app.
  const distFiles = walk(dist, () => false).filter((f) => DIST_FILE.test(f));
  for (const file of distFiles) copyInto(path.join(dist, file), path.join(stageDir, 'dist', file));
  for (const file of ROOT_FILES) copyInto(path.join(root, file), path.join(stageDir, file));

  // The production dependency closure. Each listed package is copied without its own nested node_modules: the
  // nested packages it needs are listed (and copied) themselves, and anything else nested there is not production.
  const dependencies = productionDependencies(root);
  const native: string[] = [];
  for (const dependency of dependencies) {
    const source = path.join(root, dependency);
    const files = walk(source, (_relative, name) => name === 'node_modules' || name === '.bin');
    for (const file of files) {
      if (NOT_RUNTIME.test(file) && !LEGAL.test(path.basename(file))) continue;
      if (file.endsWith('.node')) native.push(`${dependency}/${file}`);
      copyInto(path.join(source, file), path.join(stageDir, dependency, file));
    }
  }
  if (native.length > 0 && !options.allowNative) {
    throw new Error(
      `native addons in production dependencies (built for ${process.platform}, the app runs on Linux): ${native.join(', ')}; ` +
        'package on Linux with --allow-native, or use a remote build',
    );
  }
  writeFileSync(path.join(stageDir, '.funcignore'), STAGED_FUNCIGNORE);

  const staged = walk(stageDir, () => false);
  const bytes = staged.reduce((sum, file) => sum + statSync(path.join(stageDir, file)).size, 0);
  if (options.zipFile) await writeZip(stageDir, staged, path.resolve(options.zipFile));
  return {
    stageDir,
    zipFile: options.zipFile ? path.resolve(options.zipFile) : null,
    files: staged.length,
    bytes,
    dependencies,
  };
}

/** A deterministic zip of the staged folder: sorted entries, fixed times, the staged .funcignore left out (as azd does). */
async function writeZip(stageDir: string, files: string[], zipFile: string): Promise<void> {
  mkdirSync(path.dirname(zipFile), { recursive: true });
  const zip = new ZipFile();
  for (const file of files) {
    if (file === '.funcignore') continue;
    const mode = statSync(path.join(stageDir, file)).mode & 0o111 ? 0o100755 : 0o100644;
    zip.addFile(path.join(stageDir, file), file, { mtime: ZIP_MTIME, mode });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipFile));
}

export function parseArgs(argv: string[], root: string): PackageOptions {
  const options: PackageOptions = {
    root,
    stageDir: path.join(root, '.package', 'app'),
    zipFile: path.join(root, '.package', 'call-recording-archiver.zip'),
    allowNative: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error(`${arg} needs a value`);
      i += 1;
      return value;
    };
    if (arg === '--stage') options.stageDir = path.resolve(next());
    else if (arg === '--out') options.zipFile = path.resolve(next());
    else if (arg === '--stage-only') options.zipFile = null;
    else if (arg === '--allow-native') options.allowNative = true;
    else if (arg === '--root') options.root = path.resolve(next());
    else throw new Error(`unknown argument ${arg}: use --stage DIR, --out FILE.zip, --stage-only, --allow-native`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2), repoRoot());
  const report = await buildPackage(options);
  const megabytes = (report.bytes / 1024 / 1024).toFixed(1);
  process.stdout.write(
    `package: ${report.files} files, ${megabytes} MB, ${report.dependencies.length} production packages\n` +
      `  staged: ${path.relative(process.cwd(), report.stageDir) || '.'}\n` +
      (report.zipFile ? `  zip:    ${path.relative(process.cwd(), report.zipFile)}\n` : ''),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`package: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}

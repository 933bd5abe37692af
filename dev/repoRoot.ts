import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root (the folder with package.json), whether running from dev/ sources or compiled dist/dev/. */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && !dir.endsWith(`${path.sep}dist`)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

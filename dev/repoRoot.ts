import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository root (the folder with package.json), whether running from dev/ sources, the compiled tools in
 * dist-dev/ or the compiled app in dist/.
 */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && !/[\\/]dist(-dev)?$/.test(dir)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** A compiled local tool: `devBuild('dev', 'host', 'serve.js')` is dist-dev/dev/host/serve.js (tsconfig.dev.json). */
export function devBuild(...parts: string[]): string {
  return path.join(repoRoot(), 'dist-dev', ...parts);
}

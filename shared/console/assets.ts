import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONSOLE_CSS, CONSOLE_HTML } from './page';

/**
 * The console's page and its assets, all shipped in the package: the HTML shell and the stylesheet are strings here,
 * the browser modules are ui/*.js, type-checked by ui/tsconfig.json (DOM lib) and copied by it into the product build
 * next to this file (dist/shared/console/ui/). No build step at run time, nothing fetched from the network.
 */

export interface ConsoleAsset {
  contentType: string;
  body: string;
}

const MODULES = new Set(['api.js', 'app.js', 'format.js', 'list.js', 'player.js', 'recording.js']);

/** The asset `name` (`''` is the page), or null when there is none by that name. */
export async function consoleAsset(name: string): Promise<ConsoleAsset | null> {
  if (name === '' || name === 'index.html') return { contentType: 'text/html; charset=utf-8', body: CONSOLE_HTML };
  if (name === 'console.css') return { contentType: 'text/css; charset=utf-8', body: CONSOLE_CSS };
  if (!MODULES.has(name)) return null;
  const body = await readFile(path.join(__dirname, 'ui', name), 'utf8');
  return { contentType: 'text/javascript; charset=utf-8', body };
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTING_NAMES } from '../../../../shared/config';
import { REPO_ROOT } from '../../../helpers/paths';

/** The settings the code reads (shared/config/settings.ts) and the ones the docs describe are the same settings. */

/** Backticked names in the first column of every Markdown table row (a cell may name several settings). */
function firstColumnSettings(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Za-z_][A-Za-z0-9_.]*)`/g)].map((m) => m[1]!));
}

const docs = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('the settings table', () => {
  it('in docs/settings.md names exactly the settings the app reads, once each', () => {
    const documented = firstColumnSettings(docs('docs/settings.md'));
    expect([...documented].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it("in the README's short list names only settings the app reads or azd environment values the deployment maps", () => {
    const azdValues = [...docs('infra/main.parameters.json').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!);
    const section = /^## Settings you may set\n([\s\S]*?)^## /m.exec(docs('README.md'));
    expect(section).not.toBeNull();
    const readme = firstColumnSettings(section![1]!);
    expect(readme.length).toBeGreaterThan(0);
    const known = [...SETTING_NAMES, ...azdValues] as readonly string[];
    expect(readme.filter((name) => !known.includes(name))).toEqual([]);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/paths';

/** Every relative link in the README and the docs reaches a file, and every #anchor a heading of it. */

const DOCS = [
  'README.md',
  ...readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'dev/emulator/README.md',
  'dev/host/README.md',
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n ? `${slug}-${n}` : slug);
  }
  return anchors;
}

function brokenLinks(doc: string): string[] {
  const file = path.join(REPO_ROOT, doc);
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
    const [relative, anchor] = target!.split('#');
    const dest = relative ? path.resolve(path.dirname(file), decodeURI(relative)) : file;
    if (!existsSync(dest)) broken.push(`${target}: no such file`);
    else if (anchor && dest.endsWith('.md') && !anchorsOf(dest).has(anchor)) broken.push(`${target}: no such heading`);
  }
  return broken;
}

it.each(DOCS)('%s links only to files and headings that exist', (doc) => {
  expect(brokenLinks(doc)).toEqual([]);
});

it('keeps the README short enough to read: under 300 lines', () => {
  expect(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(300);
});

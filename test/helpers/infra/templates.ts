import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BicepFile, type BicepResource, parseBicep, propertyValue } from './bicep';

/** The repository, infra/ and every template in it, read once (test/infra/*.test.ts share them). */
export const ROOT = join(__dirname, '..', '..', '..');
export const INFRA = join(ROOT, 'infra');

function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, suffix);
    return entry.name.endsWith(suffix) ? [path] : [];
  });
}

export function sourceFilesUnder(dir: string): string[] {
  return filesUnder(dir, '.ts');
}

export const files = new Map<string, BicepFile>(
  filesUnder(INFRA, '.bicep').map((path) => [relative(INFRA, path).split('\\').join('/'), parseBicep(path)]),
);
export const allFiles = [...files.values()];

/** The raw text of each template (strings and comments intact), by path relative to infra/. */
export const rawText = new Map<string, string>(
  [...files.entries()].map(([path, f]) => [path, readFileSync(f.path, 'utf8')]),
);

export function file(path: string): BicepFile {
  const found = files.get(path);
  if (!found) throw new Error(`infra/${path} is missing`);
  return found;
}

export function resourcesOfType(
  type: string,
  options: { existing?: boolean } = {},
): Array<BicepResource & { file: string }> {
  return [...files.entries()].flatMap(([path, f]) =>
    f.resources
      .filter((r) => r.type === type && (options.existing === undefined || r.existing === options.existing))
      .map((r) => ({ ...r, file: path })),
  );
}

export function readInfra(path: string): string {
  return readFileSync(join(INFRA, path), 'utf8');
}

export function readRoot(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** `properties` of a resource body (or '' when it has none). */
export function propertiesOf(body: string): string {
  return propertyValue(body, 'properties') ?? '';
}

export const KQL_FILES = filesUnder(join(INFRA, 'monitoring'), '.kql').map((path) =>
  relative(INFRA, path).split('\\').join('/'),
);

/** `loadTextContent('<path>')` calls in a template's code, as paths relative to infra/. */
export function loadedTextFiles(templatePath: string): string[] {
  const f = file(templatePath);
  const base = templatePath.includes('/') ? templatePath.slice(0, templatePath.lastIndexOf('/')) : '';
  return [...f.code.matchAll(/loadTextContent\('([^']+)'\)/g)].map((m) => {
    const parts = [...(base ? base.split('/') : []), ...(m[1] ?? '').split('/')];
    const resolved: string[] = [];
    for (const part of parts) {
      if (part === '..') resolved.pop();
      else if (part !== '.') resolved.push(part);
    }
    return resolved.join('/');
  });
}

/** A monitoring query as the tests read it. */
export interface Query {
  path: string;
  text: string;
  /** Event names the query selects: `message startswith "Name {"`. */
  events: string[];
  /** Fields it reads from the parsed line: `e.field` or `e["field"]`. */
  fields: string[];
}

function stripComments(kql: string): string {
  return kql.replace(/\/\/[^\n]*/g, '');
}

/** Reads infra/<path>: the event names it selects and the fields it reads from the parsed line. */
export function readQuery(path: string): Query {
  const text = readFileSync(join(INFRA, path), 'utf8');
  const code = stripComments(text);
  return {
    path,
    text: code,
    events: [...code.matchAll(/message startswith "(\w+) \{"/g)].map((m) => m[1]!),
    fields: [...new Set([...code.matchAll(/\be(?:\.([A-Za-z_]\w*)|\["([A-Za-z_]\w*)"\])/g)].map((m) => m[1] ?? m[2]!))],
  };
}

import { readFileSync } from 'node:fs';

/**
 * A small, careful reader of Bicep text, for checks that need no compiler (none is available where the tests run).
 * It understands what the checks need and no more: comments, single-quoted strings with `${...}` interpolation
 * (which may nest strings), `'''` multi-line strings, and bracket depth. Declarations are read only at the top
 * level of a file.
 */

export interface BicepDeclaration {
  keyword: 'param' | 'var' | 'resource' | 'module' | 'output';
  name: string;
  /** The declaration's text up to the next top-level declaration (comments blanked). */
  text: string;
  /** Where the declaration starts in the file. */
  offset: number;
}

export interface BicepResource {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  /** The `{...}` body, braces included. */
  body: string;
}

export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
}

export interface BicepOutput {
  name: string;
  type: string;
  value: string;
}

export interface BicepModule {
  symbol: string;
  path: string;
  body: string;
}

export interface BicepFile {
  path: string;
  /** The source with comments replaced by spaces (same length and line breaks as the source). */
  code: string;
  declarations: BicepDeclaration[];
  resources: BicepResource[];
  params: BicepParam[];
  outputs: BicepOutput[];
  modules: BicepModule[];
  vars: Map<string, string>;
}

/** A regular expression group, '' when it did not take part in the match. */
function group(match: RegExpMatchArray, index: number): string {
  return match[index] ?? '';
}

interface Scan {
  code: string;
  /** depth[i]: number of open (, [ or { before position i, outside strings and comments. */
  depth: Int32Array;
}

function skipString(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    const end = text.indexOf("'''", start + 3);
    if (end < 0) throw new Error(`unterminated ''' string at ${start}`);
    return end + 3;
  }
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === "'") return i + 1;
    else if (text.startsWith('${', i)) i = skipInterpolation(text, i + 2);
    else if (c === '\n') throw new Error(`unterminated string at ${start}`);
    else i += 1;
  }
  throw new Error(`unterminated string at ${start}`);
}

function skipInterpolation(text: string, start: number): number {
  let depth = 1;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c === '{') depth += 1;
    if (c === '}') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  throw new Error(`unterminated interpolation at ${start}`);
}

export function scan(text: string): Scan {
  const code = text.split('');
  const depth = new Int32Array(text.length + 1);
  let level = 0;
  let i = 0;
  while (i < text.length) {
    depth[i] = level;
    const c = text[i];
    if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') {
        code[i] = ' ';
        depth[i] = level;
        i += 1;
      }
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i += 1) {
        if (text[i] !== '\n') code[i] = ' ';
        depth[i] = level;
      }
      continue;
    }
    if (c === "'") {
      const end = skipString(text, i);
      for (; i < end; i += 1) depth[i] = level;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') level += 1;
    if (c === '}' || c === ']' || c === ')') level -= 1;
    if (level < 0) throw new Error(`unbalanced '${c}' at ${i}`);
    i += 1;
  }
  depth[text.length] = level;
  if (level !== 0) throw new Error(`unbalanced brackets: ${level} left open`);
  return { code: code.join(''), depth };
}

/** The balanced `{...}` or `[...]` starting at `open` in a scanned text. */
export function blockAt(scanned: Scan, open: number): string {
  const base = scanned.depth[open];
  for (let i = open + 1; i <= scanned.code.length; i += 1) {
    if (scanned.depth[i] === base) return scanned.code.slice(open, i);
  }
  throw new Error(`no end for the block at ${open}`);
}

/** Keys (unquoted) of the outermost level of an object literal `{...}`. */
export function objectKeys(block: string): string[] {
  const scanned = scan(block);
  const keys: string[] = [];
  const keyPattern = /^[ \t]*([A-Za-z_][\w]*|'[^']*')[ \t]*:/gm;
  for (const m of scanned.code.matchAll(keyPattern)) {
    const at = m.index + group(m, 0).indexOf(group(m, 1));
    if (scanned.depth[at] === 1) keys.push(group(m, 1).replace(/^'|'$/g, ''));
  }
  return keys;
}

/**
 * The text of property `name` at the outermost level of an object literal: a `{...}` or `[...]` value whole, any
 * other value up to the next key of the same object (so a ternary or a call continued over several lines is whole).
 */
export function propertyValue(block: string, name: string): string | undefined {
  const scanned = scan(block);
  const pattern = new RegExp(`^[ \\t]*${name}[ \\t]*:[ \\t]*`, 'gm');
  for (const m of scanned.code.matchAll(pattern)) {
    if (scanned.depth[m.index + group(m, 0).indexOf(name)] !== 1) continue;
    const start = m.index + group(m, 0).length;
    const c = scanned.code[start];
    if (c === '{' || c === '[') return blockAt(scanned, start);
    let end = scanned.code.lastIndexOf('}') >= start ? scanned.code.lastIndexOf('}') : scanned.code.length;
    for (const next of scanned.code.slice(start).matchAll(/\n([ \t]*)([A-Za-z_]\w*|'[^']*')[ \t]*:/g)) {
      const keyAt = start + next.index + 1 + group(next, 1).length;
      if (scanned.depth[keyAt] === 1) {
        end = start + next.index;
        break;
      }
    }
    return scanned.code.slice(start, end).trim();
  }
  return undefined;
}

const DECLARATION = /^(param|var|resource|module|output)[ \t]+(\w+)/gm;
const DECORATOR_OR_DECLARATION =
  /^(@|param\b|var\b|resource\b|module\b|output\b|targetScope\b|type\b|func\b|import\b)/gm;

export function parseBicep(path: string, text: string = readFileSync(path, 'utf8')): BicepFile {
  const scanned = scan(text);
  const { code, depth } = scanned;
  const boundaries = [...code.matchAll(DECORATOR_OR_DECLARATION)]
    .map((m) => m.index)
    .filter((i) => depth[i] === 0)
    .concat(code.length);
  const declarations: BicepDeclaration[] = [];
  for (const m of code.matchAll(DECLARATION)) {
    if (depth[m.index] !== 0) continue;
    const end = boundaries.find((b) => b > m.index) ?? code.length;
    declarations.push({
      keyword: group(m, 1) as BicepDeclaration['keyword'],
      name: group(m, 2),
      text: code.slice(m.index, end),
      offset: m.index,
    });
  }
  const bodyOf = (decl: BicepDeclaration): string => {
    const eq = decl.text.indexOf('=');
    const open = decl.text.indexOf('{', eq);
    if (eq < 0 || open < 0) throw new Error(`${path}: ${decl.keyword} ${decl.name} has no body`);
    return blockAt(scanned, decl.offset + open);
  };
  const resources: BicepResource[] = [];
  const modules: BicepModule[] = [];
  const params: BicepParam[] = [];
  const outputs: BicepOutput[] = [];
  const vars = new Map<string, string>();
  for (const decl of declarations) {
    const head = decl.text.split('\n')[0] ?? '';
    if (decl.keyword === 'resource') {
      const m = /^resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s*(existing)?\s*=/.exec(head);
      if (!m) throw new Error(`${path}: cannot read resource declaration "${head}"`);
      resources.push({
        symbol: group(m, 1),
        type: group(m, 2),
        apiVersion: group(m, 3),
        existing: Boolean(group(m, 4)),
        body: bodyOf(decl),
      });
    } else if (decl.keyword === 'module') {
      const m = /^module\s+(\w+)\s+'([^']+)'\s*=/.exec(head);
      if (!m) throw new Error(`${path}: cannot read module declaration "${head}"`);
      modules.push({ symbol: group(m, 1), path: group(m, 2), body: bodyOf(decl) });
    } else if (decl.keyword === 'param') {
      const m = /^param\s+(\w+)\s+(\w+)(.*)$/.exec(head);
      if (!m) throw new Error(`${path}: cannot read param declaration "${head}"`);
      params.push({ name: group(m, 1), type: group(m, 2), hasDefault: /^\s*=/.test(group(m, 3)) });
    } else if (decl.keyword === 'output') {
      const m = /^output\s+(\w+)\s+(\w+)\s*=\s*([\s\S]*)$/.exec(decl.text.trim());
      if (!m) throw new Error(`${path}: cannot read output declaration "${head}"`);
      outputs.push({ name: group(m, 1), type: group(m, 2), value: group(m, 3).trim() });
    } else {
      const m = /^var\s+(\w+)\s*=\s*([\s\S]*)$/.exec(decl.text.trim());
      if (!m) throw new Error(`${path}: cannot read var declaration "${head}"`);
      vars.set(group(m, 1), group(m, 2).trim());
    }
  }
  return { path, code, declarations, resources, params, outputs, modules, vars };
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * A small, careful reader of Bicep text, for checks that need no compiler (none is available where the tests run).
 * It understands what the checks need and no more: comments and `#disable-next-line` pragmas, single-quoted strings
 * with `${...}` interpolation (which may nest strings), `'''` multi-line strings, and bracket depth. Declarations are
 * read only at the top level of a file. `evaluate` computes the value of a simple expression (names, strings).
 */

export interface BicepDeclaration {
  keyword: 'param' | 'var' | 'resource' | 'module' | 'output';
  name: string;
  /** The declaration's text up to the next top-level declaration (comments blanked). */
  text: string;
  /** Where the declaration starts in the file. */
  offset: number;
  /** Names of the decorators written just before it (`@secure()` -> 'secure'). */
  decorators: string[];
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
  /** The default value's expression (one line), when it has one. */
  defaultValue?: string;
  /** Names of its decorators: 'secure', 'description', 'allowed', ... */
  decorators: string[];
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
    // Pragmas (`#disable-next-line <rule>`) are trivia, like comments.
    if (c === '#' && /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n', i - 1) + 1, i))) {
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
  let previousEnd = 0;
  for (const m of code.matchAll(DECLARATION)) {
    if (depth[m.index] !== 0) continue;
    const end = boundaries.find((b) => b > m.index) ?? code.length;
    // Decorators sit between the previous declaration's text and this one.
    const before = code.slice(previousEnd, m.index);
    const decorators = [...before.matchAll(/^@(\w+)/gm)]
      .filter((d) => depth[previousEnd + d.index] === 0)
      .map((d) => group(d, 1));
    declarations.push({
      keyword: group(m, 1) as BicepDeclaration['keyword'],
      name: group(m, 2),
      text: code.slice(m.index, end),
      offset: m.index,
      decorators,
    });
    previousEnd = end;
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
      const defaultValue = /^\s*=\s*(.*?)\s*$/.exec(group(m, 3))?.[1];
      params.push({
        name: group(m, 1),
        type: group(m, 2),
        hasDefault: defaultValue !== undefined,
        ...(defaultValue !== undefined ? { defaultValue } : {}),
        decorators: decl.decorators,
      });
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

/**
 * Where an expression is evaluated: the values of params (by name), the file's vars (evaluated on demand), and what
 * `subscription()` and `resourceGroup()` return.
 */
export interface EvaluationContext {
  values: Record<string, string | number | boolean>;
  vars?: Map<string, string>;
  subscriptionId: string;
  resourceGroupName: string;
}

type Value = string | number | boolean | { [key: string]: Value };

/** A deterministic stand-in for a hash-based Bicep function: equal inputs give equal output, different ones differ. */
function digest(args: Value[]): Buffer {
  return createHash('sha256')
    .update(args.map((a) => JSON.stringify(a)).join('\u0000'))
    .digest();
}

/** A scalar as text; an object (what subscription() returns) is not one. */
function scalar(value: Value | undefined): string {
  if (value === undefined || typeof value === 'object') throw new Error(`not a string: ${JSON.stringify(value)}`);
  return String(value);
}

/**
 * The functions the evaluator knows. guid() and uniqueString() are NOT Azure's algorithms: they are stand-ins with the
 * two properties the tests rely on (the same inputs give the same value; different inputs give different values), so
 * a test can tell whether a name depends on an input, never what Azure will call it.
 */
const FUNCTIONS: Record<string, (args: Value[], context: EvaluationContext) => Value> = {
  subscription: (_args, c) => ({ id: `/subscriptions/${c.subscriptionId}`, subscriptionId: c.subscriptionId }),
  resourceGroup: (_args, c) => ({
    id: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroupName}`,
    name: c.resourceGroupName,
  }),
  guid: (args) => {
    const h = digest(args).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  },
  uniqueString: (args) =>
    [...digest(args).subarray(0, 13)].map((b) => 'abcdefghijklmnopqrstuvwxyz234567'.charAt(b % 32)).join(''),
  take: (args) => scalar(args[0]).slice(0, Number(scalar(args[1]))),
  toLower: (args) => scalar(args[0]).toLowerCase(),
  toUpper: (args) => scalar(args[0]).toUpperCase(),
  concat: (args) => args.map(scalar).join(''),
  replace: (args) => scalar(args[0]).split(scalar(args[1])).join(scalar(args[2])),
};

/**
 * Evaluates a Bicep expression made of string literals (with `${...}` interpolation), numbers, booleans, names of
 * params and vars, calls of the functions above and property access (`subscription().subscriptionId`). Anything
 * else (operators, ternaries, resource references) is refused with an error: the evaluator never guesses.
 */
export function evaluate(expression: string, context: EvaluationContext): Value {
  let i = 0;
  const text = expression;
  const fail = (what: string): never => {
    throw new Error(`cannot evaluate ${JSON.stringify(expression)}: ${what} at ${i}`);
  };
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text.charAt(i))) i += 1;
  };
  const stringLiteral = (): string => {
    i += 1; // the opening quote
    let out = '';
    while (i < text.length) {
      const c = text.charAt(i);
      if (c === "'") {
        i += 1;
        return out;
      }
      if (c === '\\') {
        const e = text.charAt(i + 1);
        out += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
        i += 2;
      } else if (text.startsWith('${', i)) {
        i += 2;
        const value = primary();
        skipSpace();
        if (text.charAt(i) !== '}') fail('expected } closing an interpolation');
        i += 1;
        out += scalar(value);
      } else {
        out += c;
        i += 1;
      }
    }
    return fail('unterminated string');
  };
  const argumentsList = (): Value[] => {
    const args: Value[] = [];
    i += 1; // (
    skipSpace();
    if (text.charAt(i) === ')') {
      i += 1;
      return args;
    }
    for (;;) {
      args.push(primary());
      skipSpace();
      const c = text.charAt(i);
      i += 1;
      if (c === ')') return args;
      if (c !== ',') fail('expected , or )');
    }
  };
  const primary = (): Value => {
    skipSpace();
    const c = text.charAt(i);
    let value: Value;
    if (c === "'") value = stringLiteral();
    else if (/\d/.test(c)) {
      const m = /^\d+/.exec(text.slice(i))![0];
      i += m.length;
      value = Number(m);
    } else if (/[A-Za-z_]/.test(c)) {
      const name = /^[A-Za-z_]\w*/.exec(text.slice(i))![0];
      i += name.length;
      skipSpace();
      if (text.charAt(i) === '(') {
        const fn = FUNCTIONS[name];
        if (!fn) fail(`unknown function ${name}()`);
        value = fn!(argumentsList(), context);
      } else if (name === 'true' || name === 'false') value = name === 'true';
      else if (name in context.values) value = context.values[name]!;
      else if (context.vars?.has(name)) value = evaluate(context.vars.get(name)!, context);
      else value = fail(`unknown name ${name}`);
    } else value = fail(`unexpected ${JSON.stringify(c)}`);
    // Property access: subscription().subscriptionId, resourceGroup().name
    for (;;) {
      skipSpace();
      if (text.charAt(i) !== '.') return value;
      i += 1;
      const property = /^[A-Za-z_]\w*/.exec(text.slice(i))?.[0] ?? fail('expected a property name');
      i += property.length;
      if (typeof value !== 'object' || !(property in value)) fail(`no property ${property}`);
      value = (value as Record<string, Value>)[property]!;
    }
  };
  const result = primary();
  skipSpace();
  if (i < text.length) fail('unexpected text after the expression');
  return result;
}

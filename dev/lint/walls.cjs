// @ts-check
'use strict';
/**
 * The architecture as lint errors: which folder may import which. Read it as the map of the code.
 *
 * shared/ is the product, in layers from the ground up; a folder imports only the layers it lists, so no folder loop
 * and no upward import can be written:
 *   ground files    shared/*.ts and shared/config/: errors, text, logging, telemetry, settings, storage clients
 *   recording/      the vocabulary: names of blobs and keys, server call ids, participant ids
 *   events/         incoming events parsed into typed values
 *   acs/            the ACS protocol: signing, control client, signed downloads
 *   security/       who may send what
 *   archive/        ingest -> chunk queue -> copy -> manifest -> sweep (and the participant index it writes)
 *   control/        recording control: which call has which recording
 *   participants/   a participant's data: export, erasure, legal hold (reads what archive/ wrote)
 *   console/        the archive console's API: list, inspect, play (audited), verify (reads archive/, participants/)
 * functions/ imports only a folder's face (shared/archive, not shared/archive/copyChunk); shared/ never imports
 * functions/, cli/ or dev/; the ACS emulator imports nothing of the product (tests must not test the code against
 * itself).
 */
const { existsSync } = require('node:fs');
const path = require('node:path');

const GROUND = '.';
/** shared/ folder -> the shared/ folders it may import ('.' = the ground files, shared/*.ts and shared/config/). */
const LAYERS = {
  [GROUND]: [GROUND],
  recording: [GROUND],
  events: [GROUND, 'recording'],
  acs: [GROUND, 'recording'],
  security: [GROUND, 'recording', 'events'],
  archive: [GROUND, 'recording', 'events', 'acs'],
  control: [GROUND, 'recording', 'events', 'acs'],
  participants: [GROUND, 'recording', 'archive'],
  console: [GROUND, 'recording', 'security', 'archive', 'participants'],
};
/** Folders at the ground level of shared/ that count as ground files. */
const GROUND_FOLDERS = new Set(['config']);

/** The top folder and, under shared/, the layer of a repository-relative path. */
function placeOf(relative) {
  const parts = relative.split('/');
  const top = parts[0];
  if (top !== 'shared') return { top, layer: null, rest: parts.slice(1) };
  const second = parts.length > 2 ? parts[1] : null;
  const layer = second === null || GROUND_FOLDERS.has(second) ? GROUND : second;
  return { top, layer, rest: parts.slice(layer === GROUND ? 1 : 2) };
}

/** Why `from` may not import `to` (repository-relative paths without extension), or null. */
function wallBetween(from, to) {
  const a = placeOf(from);
  const b = placeOf(to);
  if (a.top === 'shared' && ['functions', 'cli', 'dev', 'test'].includes(b.top)) {
    return `shared/ is the product: it never imports ${b.top}/`;
  }
  if (from.startsWith('dev/emulator/') && ['shared', 'functions', 'cli'].includes(b.top)) {
    return `the ACS emulator never imports the product (${b.top}/): it must not share the product's assumptions`;
  }
  if (a.top === 'functions' && ['cli', 'dev'].includes(b.top))
    return `functions/ is deployed: it never imports ${b.top}/`;
  if (a.top === 'functions' && b.top === 'shared' && b.layer !== GROUND && b.rest.join('/') !== 'index') {
    return `functions/ imports only a folder's face: import '../shared/${b.layer}', not a file inside it`;
  }
  if (a.top === 'shared' && b.top === 'shared' && a.layer !== b.layer) {
    const allowed = LAYERS[a.layer];
    if (!allowed) return `shared/${a.layer}/ is not in the layer table of dev/lint/walls.cjs: add it there first`;
    if (!allowed.includes(b.layer)) {
      const what = b.layer === GROUND ? 'the ground files' : `shared/${b.layer}/`;
      const who = a.layer === GROUND ? 'the ground files of shared/' : `shared/${a.layer}/`;
      return `${who} may import only ${allowed.map((l) => (l === GROUND ? 'the ground files' : `${l}/`)).join(', ')}, not ${what}`;
    }
  }
  return null;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: "imports that cross the architecture's walls (dev/lint/walls.cjs)" },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: { wall: '{{source}}: {{reason}}' },
  },
  create(context) {
    const root = (context.options[0] && context.options[0].root) || context.cwd;
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const resolved = path.resolve(path.dirname(context.filename), source).replace(/\.(ts|js)$/, '');
      // A folder's face is its index.ts: '../shared/archive' is shared/archive/index.
      const face = !existsSync(`${resolved}.ts`) && existsSync(path.join(resolved, 'index.ts'));
      const target = path
        .relative(root, face ? path.join(resolved, 'index') : resolved)
        .split(path.sep)
        .join('/');
      const reason = wallBetween(file, target);
      if (reason) context.report({ node, messageId: 'wall', data: { source, reason } });
    }
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      CallExpression: (node) => {
        const [arg] = node.arguments;
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && arg && arg.type === 'Literal') {
          check(arg, arg.value);
        }
      },
    };
  },
};

module.exports = { plugin: { rules: { architecture: rule } }, wallBetween, LAYERS };

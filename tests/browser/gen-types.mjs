// Generates clients/typescript/protocol.d.ts, the TypeScript types of the protocol, from the
// JSON Schema docs/protocol.schema.json, with json-schema-to-typescript.
//
//   node tests/browser/gen-types.mjs           writes the file
//   node tests/browser/gen-types.mjs --check   exits 1 if the committed file is not what it
//                                              would write (tests/typescript_types.rs runs this)
//
// Needs `npm ci --prefix tests/browser`. The output depends on the exact versions of
// json-schema-to-typescript and prettier in tests/browser/package-lock.json: after updating
// them, regenerate.
//
// json-schema-to-typescript reads draft-04/07 schemas; ours is draft 2020-12 (schemars). Before
// compiling, a copy of the schema is rewritten (the committed schema is not touched):
//
// 1. The root: its `oneOf` (ClientFrame | ServerFrame) becomes the definition `Frame`, and the
//    root becomes an object with one property per definition (the interface `Protocol`), so
//    every `$defs` entry is reachable and is emitted once under its own name. (The tool's
//    `unreachableDefinitions` only works under an object root.)
// 2. `$ref` with sibling keywords. In 2020-12 the siblings apply alongside the reference; the
//    tool instead makes a new, numbered copy of the referenced type (Explained1, Explained2…).
//    Siblings that are only annotations (`description`, `default`) are dropped, the
//    description kept as the property's comment by wrapping: `{allOf: [{$ref}], description}`;
//    siblings that constrain (a flattened tag: `properties`, `required`, `type`) become
//    `allOf: [{$ref}, {the siblings}]`, i.e. an intersection type.
// 3. `prefixItems` (2020-12 tuples) becomes the draft-07 form `items: [...]` with
//    `additionalItems: false`, so `[number, string]` comes out as a tuple.
// 4. The descriptions of a `oneOf`'s variants (each error code, each frame or event kind) are
//    moved into the union's own comment, as a list by tag: the tool drops comments on union
//    members.
// 5. An object's properties are listed in the order of `required` (the Rust field order, tag
//    first), then the optional ones, instead of the schema's alphabetical order.
//
// Objects without `additionalProperties` get none (the tool's `additionalProperties: false`):
// the types list exactly the fields the server sends, without `[k: string]: unknown`.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { compile } from 'json-schema-to-typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA = path.join(ROOT, 'docs/protocol.schema.json');
const OUT = path.join(ROOT, 'clients/typescript/protocol.d.ts');
const COMMAND = 'node tests/browser/gen-types.mjs';

const BANNER = `// Types of the Détente protocol (docs/protocol.md), generated from docs/protocol.schema.json
// by tests/browser/gen-types.mjs (json-schema-to-typescript). Do not edit: regenerate with
//   ${COMMAND}
// \`cargo test --test typescript_types\` fails when this file is stale.`;

/** Keywords whose value is a schema. */
const SCHEMA_KEYS = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'];
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP_KEYS = ['properties', 'patternProperties', '$defs'];
/** `$ref` siblings that only annotate. */
const ANNOTATIONS = new Set(['description', 'default', 'title', 'examples', 'deprecated']);

/**
 * Rewrites one schema (and those inside it) for json-schema-to-typescript; see the header.
 * @param {any} s
 * @returns {any}
 */
function rewrite(s) {
  if (Array.isArray(s) || s === null || typeof s !== 'object') return s;
  /** @type {Record<string, any>} */
  let out = {};
  for (const [k, v] of Object.entries(s)) {
    if (SCHEMA_KEYS.includes(k)) out[k] = rewrite(v);
    else if (SCHEMA_LIST_KEYS.includes(k)) out[k] = v.map(rewrite);
    else if (SCHEMA_MAP_KEYS.includes(k)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([n, x]) => [n, rewrite(x)]));
    } else out[k] = v;
  }
  if (out.properties) {
    const required = out.required || [];
    const names = [...required.filter((/** @type {string} */ n) => n in out.properties),
      ...Object.keys(out.properties).filter((n) => !required.includes(n))];
    out.properties = Object.fromEntries(names.map((n) => [n, out.properties[n]]));
  }
  if (out.prefixItems) {
    const { prefixItems, ...rest } = out;
    out = { ...rest, items: prefixItems, additionalItems: false };
  }
  if (Array.isArray(out.oneOf) && out.oneOf.some((/** @type {any} */ v) => v.description)) {
    const lines = out.oneOf.map((/** @type {any} */ v, /** @type {number} */ i) => {
      if (!v.description) return null;
      const tag = Object.entries(v.properties || {}).find(([, p]) => p.const !== undefined);
      const label = v.const !== undefined ? `\`${JSON.stringify(v.const)}\``
        : tag ? `\`${tag[0]}: ${JSON.stringify(tag[1].const)}\`` : `variant ${i + 1}`;
      return `- ${label}: ${v.description.replace(/\n/g, '\n  ')}`;
    }).filter(Boolean);
    out.oneOf = out.oneOf.map((/** @type {any} */ { description, ...v }) => v);
    out.description = [out.description, ...lines].filter(Boolean).join('\n');
  }
  if (out.$ref && Object.keys(out).length > 1) {
    const { $ref, ...siblings } = out;
    const annotations = Object.fromEntries(
      Object.entries(siblings).filter(([k]) => k === 'description'));
    const constraints = Object.fromEntries(
      Object.entries(siblings).filter(([k]) => !ANNOTATIONS.has(k)));
    out = Object.keys(constraints).length
      ? { ...annotations, allOf: [{ $ref }, constraints] }
      : { ...annotations, allOf: [{ $ref }] };
  }
  return out;
}

/**
 * The schema as json-schema-to-typescript gets it.
 * @param {any} schema docs/protocol.schema.json
 */
function prepare(schema) {
  const defs = Object.fromEntries(Object.entries(schema.$defs).map(([n, s]) => [n, rewrite(s)]));
  if (defs.Frame || defs.Protocol) throw new Error('the schema now has a definition Frame or Protocol; rename them in gen-types.mjs');
  defs.Frame = { description: schema.description, oneOf: schema.oneOf };
  const names = Object.keys(defs).sort();
  return {
    title: 'Protocol',
    description: 'Every type of the protocol by its name in `$defs` of docs/protocol.schema.json: '
      + "`Protocol['SeatView']` is `SeatView`. `Frame` is the schema's root: a frame of either "
      + 'direction on `/ws`.',
    type: 'object',
    properties: Object.fromEntries(names.map((n) => [n, { $ref: `#/$defs/${n}` }])),
    required: names,
    additionalProperties: false,
    $defs: defs,
  };
}

async function generate() {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  const ts = await compile(prepare(schema), 'Protocol', {
    bannerComment: BANNER,
    additionalProperties: false,
    unknownAny: true,
    strictIndexSignatures: false,
    style: { printWidth: 100, singleQuote: true },
  });
  return ts;
}

/** @param {string | undefined} l a line for the stale message */
const line = (l) => (l === undefined ? '(end of file)' : JSON.stringify(l));

const check = process.argv.includes('--check');
const ts = await generate();
if (check) {
  let committed = '';
  try { committed = readFileSync(OUT, 'utf8'); } catch { /* missing: stale */ }
  if (committed !== ts) {
    const a = committed.split('\n');
    const b = ts.split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    console.error(`${path.relative(ROOT, OUT)} is stale: it is not what docs/protocol.schema.json gives `
      + `(first difference at line ${i + 1}:\n  committed: ${line(a[i])}\n  generated: ${line(b[i])}).\n`
      + `Regenerate it with \`${COMMAND}\` (after \`npm ci --prefix tests/browser\`) and commit it.`);
    process.exit(1);
  }
  console.log(`${path.relative(ROOT, OUT)} is up to date`);
} else {
  writeFileSync(OUT, ts);
  console.log(`wrote ${path.relative(ROOT, OUT)}`);
}

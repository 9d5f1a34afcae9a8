#!/usr/bin/env node
// The engine's layers, checked on every lint (npm run lint, so CI): imports run only
// downward (core <- image, runtime, segment, matte, frame, compose, generate, presets, sidecar <-
// pipeline <- index), the concern folders import each other without loops, the engine never
// imports n8n or the nodes, the nodes and the CLI reach the engine only through its index, and
// scripts/ and test/ share code only through testkit/.
//   node scripts/check-structure.mjs [repository root]
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..'));
const engine = path.join(root, 'src', 'engine');
const RANK = { core: 0, image: 1, runtime: 1, segment: 1, matte: 1, frame: 1, compose: 1, generate: 1, presets: 1, sidecar: 1, pipeline: 2, index: 3 };
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g;

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function imports(file) {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => match[1] ?? match[2]);
}

function resolveLocal(file, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(file), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  return base;
}

function unitOf(file) {
  const relative = path.relative(engine, file).split(path.sep);
  return relative.length === 1 ? (relative[0] === 'index.ts' ? 'index' : `(loose file ${relative[0]})`) : relative[0];
}

const problems = [];
const graph = new Map();
for (const file of walk(engine)) {
  const from = unitOf(file);
  if (!(from in RANK)) problems.push(`${path.relative(root, file)}: not in a layer (${Object.keys(RANK).join(', ')})`);
  for (const spec of imports(file)) {
    if (/^n8n-(workflow|core)$/.test(spec)) problems.push(`${path.relative(root, file)} imports ${spec}: the engine never imports n8n`);
    const target = resolveLocal(file, spec);
    if (!target) continue;
    if (!target.startsWith(engine + path.sep)) {
      problems.push(`${path.relative(root, file)} imports ${spec}: outside the engine`);
      continue;
    }
    const to = unitOf(target);
    if (to === from || !(to in RANK) || !(from in RANK)) continue;
    if (RANK[to] > RANK[from]) problems.push(`${path.relative(root, file)} (${from}) imports ${spec} (${to}): an import up the layers`);
    if (RANK[to] === RANK[from]) (graph.get(from) ?? graph.set(from, new Set()).get(from)).add(to);
  }
}

// Loops between folders of the same layer.
const state = new Map();
function visit(node, trail) {
  if (state.get(node) === 'done') return;
  if (state.get(node) === 'open') {
    problems.push(`folders import each other: ${[...trail.slice(trail.indexOf(node)), node].join(' -> ')}`);
    return;
  }
  state.set(node, 'open');
  for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
  state.set(node, 'done');
}
for (const node of graph.keys()) visit(node, []);

// The nodes and the CLI use the engine through its index only.
for (const file of [...walk(path.join(root, 'nodes')), ...walk(path.join(root, 'credentials')), ...walk(path.join(root, 'src', 'cli'))]) {
  for (const spec of imports(file)) {
    const target = resolveLocal(file, spec);
    if (target && target.startsWith(engine + path.sep) && target !== path.join(engine, 'index.ts')) {
      problems.push(`${path.relative(root, file)} imports ${spec}: nodes and the CLI import only src/engine (its index)`);
    }
  }
}

// What tests, benches and the demo share lives in testkit/: scripts/ and test/ never import
// each other, and testkit/ imports neither.
const SHARED_RULES = { scripts: ['test'], test: ['scripts'], testkit: ['scripts', 'test'] };
for (const [from, forbidden] of Object.entries(SHARED_RULES)) {
  for (const file of walk(path.join(root, from))) {
    for (const spec of imports(file)) {
      const target = resolveLocal(file, spec);
      if (!target) continue;
      const top = path.relative(root, target).split(path.sep)[0];
      if (forbidden.includes(top)) problems.push(`${path.relative(root, file)} imports ${spec}: ${from}/ may not import ${top}/ (share it through testkit/)`);
    }
  }
}

if (problems.length > 0) {
  console.error(`check-structure: ${problems.length} problem(s)\n${problems.map((line) => `  ${line}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `check-structure: ${walk(engine).length} engine files, imports only downward, no loops between folders; nodes and CLI use the index; scripts and tests share only testkit`,
);

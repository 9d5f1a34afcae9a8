import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_ROOT } from '../../testkit/fixtures';

const CHECK = path.join(REPO_ROOT, 'scripts', 'check-structure.mjs');

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'structure-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe('scripts/check-structure.mjs', () => {
  test('this repository passes', () => {
    const run = spawnSync(process.execPath, [CHECK, REPO_ROOT], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('an upward import, a loop, n8n in the engine and a node importing deep are each reported', () => {
    const root = tree({
      'src/engine/index.ts': "export * from './pipeline/cleanup';\n",
      'src/engine/core/config.ts': "import { SCHEDULERS } from '../generate/schedulers';\n",
      'src/engine/generate/schedulers.ts': "import { x } from '../image/raw';\nexport const SCHEDULERS = [];\n",
      'src/engine/image/raw.ts': "import type { Box } from '../matte/matte';\nexport const x = 1;\n",
      'src/engine/matte/matte.ts': "import { x } from '../image/raw';\nimport { NodeOperationError } from 'n8n-workflow';\n",
      'src/engine/pipeline/cleanup.ts': "import { x } from '../image/raw';\n",
      'nodes/A/A.node.ts': "import { x } from '../../src/engine/image/raw';\nimport { y } from '../../src/engine';\n",
      'scripts/bench.ts': "import { photos } from '../test/helpers';\nimport { kit } from '../testkit/kit';\n",
      'test/helpers.ts': 'export const photos = [];\n',
      'testkit/kit.ts': "import { run } from '../scripts/bench';\nexport const kit = 1;\n",
    });
    const run = spawnSync(process.execPath, [CHECK, root], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/src\/engine\/core\/config\.ts \(core\) imports \.\.\/generate\/schedulers \(generate\): an import up the layers/);
    expect(run.stderr).toMatch(/folders import each other: (image -> matte -> image|matte -> image -> matte)/);
    expect(run.stderr).toMatch(/src\/engine\/matte\/matte\.ts imports n8n-workflow: the engine never imports n8n/);
    expect(run.stderr).toMatch(/nodes\/A\/A\.node\.ts imports \.\.\/\.\.\/src\/engine\/image\/raw: nodes and the CLI import only src\/engine/);
    expect(run.stderr).not.toMatch(/imports \.\.\/\.\.\/src\/engine: /);
    expect(run.stderr).toMatch(/scripts\/bench\.ts imports \.\.\/test\/helpers: scripts\/ may not import test\//);
    expect(run.stderr).toMatch(/testkit\/kit\.ts imports \.\.\/scripts\/bench: testkit\/ may not import scripts\//);
    expect(run.stderr).not.toMatch(/testkit\/kit: /);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

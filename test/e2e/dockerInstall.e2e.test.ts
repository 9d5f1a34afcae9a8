import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_ROOT } from '../../testkit/fixtures';

/**
 * No Docker engine runs here: the install steps every Dockerfile runs
 * (docker/install-into-n8n.sh) are run outside Docker by docker/test-install.sh, on the
 * package packed from this checkout, for the official-image (WASM) and Debian (CPU) images,
 * plus the musl-like fallback. The CUDA image's download step needs the internet.
 */
describe("the Docker images' install steps, outside Docker", () => {
  test('docker/test-install.sh: wasm and cpu installs pass health; auto falls back to WASM when onnxruntime-node cannot load', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-docker-'));
    try {
      const run = spawnSync('bash', [path.join(REPO_ROOT, 'docker', 'test-install.sh'), work], { cwd: REPO_ROOT, encoding: 'utf8' });
      if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/health ok: onnxruntime-web 1\.30\.0/);
      expect(run.stdout).toMatch(/health ok: onnxruntime-node 1\.30\.0/);
      expect(run.stdout).toMatch(/fell back to onnxruntime-web: .*undefined symbol: __vsnprintf_chk_musl/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 900_000);
});

/**
 * Writes a tiny SDXL export (testkit/tinySdxl.ts) for trying the SDXL path without the real weights:
 *
 *   npm run sdxl:tiny -- OUT_DIR [--fp16] [--int64-timestep] [--latent-parameters]
 */
import path from 'node:path';

import { writeTinySdxl } from '../testkit/tinySdxl';

if (require.main === module) {
  const [dir, ...flags] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: npm run sdxl:tiny -- OUT_DIR [--fp16] [--int64-timestep] [--latent-parameters]');
    process.exit(2);
  }
  writeTinySdxl(path.resolve(dir), {
    fp16: flags.includes('--fp16'),
    int64Timestep: flags.includes('--int64-timestep'),
    latentParameters: flags.includes('--latent-parameters'),
  });
  console.log(`tiny SDXL export written to ${path.resolve(dir)}`);
}

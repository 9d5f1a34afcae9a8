import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A folder with a libonnxruntime.so.1 that cannot be loaded the way musl cannot load the
 * real one: it needs a symbol no library here defines, bound at load time. onnxruntime-node's
 * binding finds its library through RUNPATH=$ORIGIN, which LD_LIBRARY_PATH overrides, so with
 * LD_LIBRARY_PATH set to this folder the real package fails to load exactly as on Alpine
 * ("symbol not found"). Needs gcc (docker/test-install.sh builds the same library in bash).
 */
export function unloadableOnnxruntimeDir(parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, 'musl-like-'));
  const source = path.join(dir, 'lib.c');
  fs.writeFileSync(source, 'extern int __vsnprintf_chk_musl(void);\nint OrtGetApiBase(void) { return __vsnprintf_chk_musl(); }\n');
  execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-z,now', '-o', path.join(dir, 'libonnxruntime.so.1'), source]);
  return dir;
}

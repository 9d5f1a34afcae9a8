// Every test's scratch files (mkdtemp under os.tmpdir(): photos, n8n user folders with the
// package installed, ~700 MB each, chromium profiles) go into one folder per jest run,
// removed when the run ends, failed or not. TMPDIR is set before jest starts its workers, so
// they and the processes they spawn (n8n, npm, chromium) inherit it. Runs killed before
// their teardown leave a folder named after their pid; the next run removes those.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PREFIX = 'vbg-jest-';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function setup() {
  const base = os.tmpdir();
  for (const name of fs.readdirSync(base)) {
    const pid = Number(name.startsWith(PREFIX) ? name.slice(PREFIX.length) : NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) fs.rmSync(path.join(base, name), { recursive: true, force: true });
  }
  const root = path.join(base, `${PREFIX}${process.pid}`);
  fs.mkdirSync(root, { recursive: true });
  process.env.VBG_JEST_SCRATCH = root;
  process.env.TMPDIR = root;
}

function teardown() {
  const root = process.env.VBG_JEST_SCRATCH;
  if (root && process.env.VBG_KEEP_SCRATCH !== '1') fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}

module.exports = setup;
module.exports.teardown = teardown;

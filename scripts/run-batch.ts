/**
 * The main job, headless: the bundled weekly template (automation/background-batch.json)
 * imported into a local n8n (installed once under ~/.cache/vitrinealu-bg by
 * testkit/setup-n8n.sh, this package installed into it from its `npm pack` tarball) and run
 * once with `n8n execute` against the media fixture server serving examples/ (plus one
 * corrupt photo, to show the error path). Prints the completion summary and where things are.
 *
 *   node dist/scripts/run-batch.js [work folder, default out/batch]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { createInstance, executionResult, n8n, removeWorkDir } from '../testkit/n8nHarness';
import { REPO_ROOT } from '../testkit/fixtures';
import { configuredTemplate } from '../testkit/batchTemplate';
import { MediaFixtureServer } from '../testkit/mediaFixtureServer';

const WORKFLOW_ID = 'vbgBatchDemo001';

async function main() {
  const work = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'out', 'batch'));
  fs.mkdirSync(work, { recursive: true });
  // n8n's user folder (this package installed in it: ~700 MB) is scratch, not a result.
  const instanceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-demo-n8n-'));
  console.log(`== local n8n (the first run installs it: a few minutes) with its user folder in ${instanceDir} (removed afterwards)`);
  const instance = createInstance(instanceDir, { allow: [work] });
  const examples = path.join(REPO_ROOT, 'examples');
  const photos = fs
    .readdirSync(examples)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .map((f) => path.join(examples, f));
  const mediaRoot = path.join(work, 'media');
  const outputDir = path.join(mediaRoot, 'background');
  fs.mkdirSync(outputDir, { recursive: true });
  const server = await new MediaFixtureServer({ photos, sidecarRoot: mediaRoot, corrupt: true }).start();
  try {
    console.log(`== media fixture server ${server.url}: ${server.items.map((item) => item.fileName).join(', ')}`);
    const file = path.join(instanceDir, 'background-batch.json');
    fs.writeFileSync(file, JSON.stringify(configuredTemplate({ mediaApiUrl: server.url, sidecarRoot: mediaRoot, outputDir }, WORKFLOW_ID), null, 2));
    const imported = await n8n(instance, ['import:workflow', `--input=${file}`]);
    if (imported.status !== 0) throw new Error(`n8n import:workflow failed:\n${imported.stdout.slice(-2000)}${imported.stderr.slice(-2000)}`);
    console.log('== n8n execute (the template, as imported from automation/background-batch.json)');
    const started = Date.now();
    // A few seconds per photo: say it is still going, so a long batch never looks hung.
    const heartbeat = setInterval(
      () => console.log(`   ... n8n execute running (${Math.round((Date.now() - started) / 1000)} s, ${server.updates.length} media record updates so far)`),
      20_000,
    );
    const run = await n8n(instance, ['execute', `--id=${WORKFLOW_ID}`, '--rawOutput'], 1_800_000).finally(() => clearInterval(heartbeat));
    if (run.status !== 0) throw new Error(`n8n execute failed:\n${run.stdout.slice(-3000)}${run.stderr.slice(-3000)}`);
    const runData = executionResult(run.stdout).data.resultData.runData;
    for (const progress of runData['Batch Progress'] ?? []) console.log(`   ${String(progress.data.main[0]?.[0]?.json.message)}`);
    const summary = runData['Completion Summary']?.[0]?.data.main[0]?.[0]?.json;
    console.log(`== completion summary (${Math.round((Date.now() - started) / 1000)} s)`);
    console.log(JSON.stringify(summary, null, 2));
    console.log(`\nResults: ${outputDir}\nSidecars: ${path.join(mediaRoot, 'curated')}\nMedia record updates received: ${server.updates.length}`);
    console.log('Run it again and every photo already processed is skipped (its sidecar records the same photo and settings).');
  } finally {
    await server.close();
    removeWorkDir(instanceDir);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

import { configuredTemplate } from '../../testkit/batchTemplate';
import { MediaFixtureServer } from '../../testkit/mediaFixtureServer';
import { sidecarSchema } from '../../src/engine/sidecar';
import { photoPath } from '../../testkit/fixtures';
import { createInstance, executionResult, n8n, type N8nInstance, removeWorkDir } from '../../testkit/n8nHarness';

/**
 * The bundled weekly template, imported as is (only its Settings filled in) into a real n8n
 * and run with `n8n execute` against the media fixture server: three good photos (one at
 * 12 MP) and a corrupt one. Then run again: everything already processed is skipped.
 */
const WORKFLOW_ID = 'vbgE2eBatch0001';

type RunData = ReturnType<typeof executionResult>['data']['resultData']['runData'];
const outputOf = (runData: RunData, node: string) => runData[node]?.flatMap((run) => run.data.main[0] ?? []) ?? [];

describe('the weekly batch template in a real n8n (regular mode)', () => {
  let work: string;
  let instance: N8nInstance;
  let server: MediaFixtureServer;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-batch-'));
    instance = createInstance(work);
    server = await new MediaFixtureServer({
      photos: [photoPath('apple.jpg'), photoPath('coffee.png'), photoPath('motorcycle_left.png')],
      sidecarRoot: path.join(work, 'media'),
      corrupt: true,
      scaleTo12MP: ['motorcycle_left.png'],
    }).start();
  }, 1_500_000);
  afterAll(async () => {
    await server?.close();
    removeWorkDir(work);
  });

  test('every good photo gets a result, a valid sidecar and one record update; the corrupt one is reported; a re-run skips them', async () => {
    const outputDir = path.join(work, 'media', 'background');
    fs.mkdirSync(outputDir, { recursive: true });
    const file = path.join(work, 'template.json');
    fs.writeFileSync(
      file,
      JSON.stringify(configuredTemplate({ mediaApiUrl: server.url, sidecarRoot: path.join(work, 'media'), outputDir, reviewBelow: 0 }, WORKFLOW_ID)),
    );
    const imported = await n8n(instance, ['import:workflow', `--input=${file}`]);
    if (imported.status !== 0) console.log(imported.stdout.slice(-3000), imported.stderr.slice(-3000));
    expect(imported.status).toBe(0);

    const first = await n8n(instance, ['execute', `--id=${WORKFLOW_ID}`, '--rawOutput'], 900_000);
    if (first.status !== 0) console.log(first.stdout.slice(-6000), first.stderr.slice(-4000));
    expect(first.status).toBe(0);
    const runData = executionResult(first.stdout).data.resultData.runData;
    const [summary] = outputOf(runData, 'Completion Summary');
    // reviewBelow 0: nothing is held (the Needs Review outputs stay empty and the loop goes on).
    expect(summary.json).toMatchObject({ processed: 3, needsReview: 0, skipped: 0, failed: 1 });
    expect(summary.json.failedItems).toEqual([expect.stringMatching(/^corrupt\.jpg: .*(corrupt|truncated|Not an image)/i)]);
    expect(outputOf(runData, 'Batch Progress').map((item) => item.json.message)).toEqual([expect.stringMatching(/^Batch 1: 4 photos/)]);

    expect(fs.readdirSync(outputDir).sort()).toEqual(['apple-replaced.jpg', 'coffee-replaced.jpg', 'motorcycle_left-replaced.jpg']);
    for (const name of fs.readdirSync(outputDir)) expect((await sharp(path.join(outputDir, name)).metadata()).format).toBe('jpeg');
    for (const base of ['apple', 'coffee', 'motorcycle_left']) {
      const sidecar = sidecarSchema.parse(JSON.parse(fs.readFileSync(path.join(work, 'media', 'curated', `${base}.json`), 'utf8')));
      expect(sidecar).toMatchObject({
        brand: 'vitrinealu',
        scores: { aesthetic: 0.82 },
        background: { mode: 'replace', engine: 'studio', outJpg: path.join(outputDir, `${base}-replaced.jpg`), settings: { steps: 25, guidanceScale: 7.5 } },
      });
      expect(sidecar.background?.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
      const score = sidecar.scores?.cutout as number;
      expect(score).toBeGreaterThanOrEqual(0);
      const update = server.updates.find((candidate) =>
        (candidate.body as { background: { outJpg: string } }).background.outJpg.endsWith(`${base}-replaced.jpg`),
      )!;
      expect(update.body).toMatchObject({ backgroundStatus: 'done', background: { cutoutConfidence: score } });
    }
    expect(server.updates.map((update) => update.id).sort()).toEqual(['m001', 'm002', 'm003']);
    expect(server.updates[0].body).toMatchObject({ background: { mode: 'replace', engine: 'studio', outJpg: expect.stringMatching(/-replaced\.jpg$/) } });
    expect(fs.readdirSync(path.join(work, 'media', 'curated')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const second = await n8n(instance, ['execute', `--id=${WORKFLOW_ID}`, '--rawOutput'], 900_000);
    expect(second.status).toBe(0);
    const [again] = outputOf(executionResult(second.stdout).data.resultData.runData, 'Completion Summary');
    expect(again.json).toMatchObject({ processed: 0, needsReview: 0, skipped: 3, failed: 1 });
    expect(server.updates).toHaveLength(3);
  }, 1_800_000);

  test('reviewBelow 1: every cut-out is held for review: not written, not recorded, listed with its reasons; the next run tries again', async () => {
    const media = path.join(work, 'review-media');
    const held = await new MediaFixtureServer({ photos: [photoPath('apple.jpg'), photoPath('coffee.png')], sidecarRoot: media }).start();
    try {
      const outputDir = path.join(media, 'background');
      fs.mkdirSync(outputDir, { recursive: true });
      const file = path.join(work, 'template-review.json');
      fs.writeFileSync(file, JSON.stringify(configuredTemplate({ mediaApiUrl: held.url, sidecarRoot: media, outputDir, reviewBelow: 1 }, REVIEW_WORKFLOW_ID)));
      expect((await n8n(instance, ['import:workflow', `--input=${file}`])).status).toBe(0);
      for (let run = 0; run < 2; run++) {
        const result = await n8n(instance, ['execute', `--id=${REVIEW_WORKFLOW_ID}`, '--rawOutput'], 900_000);
        expect(result.status).toBe(0);
        const [summary] = outputOf(executionResult(result.stdout).data.resultData.runData, 'Completion Summary');
        expect(summary.json).toMatchObject({ processed: 0, needsReview: 2, skipped: 0, failed: 0 });
        expect(summary.json.reviewItems).toEqual([
          expect.stringMatching(/^apple\.jpg \(0(\.\d+)?\): \w/),
          expect.stringMatching(/^coffee\.png \(0(\.\d+)?\): \w/),
        ]);
      }
      expect(fs.readdirSync(outputDir)).toEqual([]);
      expect(held.updates).toEqual([]);
      for (const base of ['apple', 'coffee'])
        expect(JSON.parse(fs.readFileSync(path.join(media, 'curated', `${base}.json`), 'utf8')).background).toBeUndefined();
    } finally {
      await held.close();
    }
  }, 1_800_000);
});

const REVIEW_WORKFLOW_ID = 'vbgE2eReview001';

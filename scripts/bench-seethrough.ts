/**
 * npm run bench:seethrough [-- N] — see-through "gaps" on synthetic window scenes with the
 * real model: N seeded scenes (default 80), an aluminium frame with 2-4 empty panes drawn
 * over subject-free background crops of the fixture photos, known alpha = the frame. Prints
 * the mask IoU against the known alpha without and with see-through, per scene and on
 * average (issue #3's goal: +0.10 on average), then the same frames with product in the
 * panes (a door's solid panel, a framed picture: nothing may open there) and the change on
 * the plain fixtures (goal: never lower by more than 0.02).
 */
import { closeWorkerPool } from '../src/engine';
import { extractSubject } from '../src/engine/pipeline/subject';
import { iou, PHOTOS, photoPath, referenceMask, readPhoto } from '../testkit/fixtures';
import { photoBackgrounds, type PaneFill, windowScene } from '../testkit/windowScene';

const plain = { featherPx: 0, decontaminate: false, enhanceFg: false };

async function compare(image: Buffer, truth: Uint8Array): Promise<{ off: number; gaps: number; regions: number }> {
  const off = iou((await extractSubject(image, plain)).alpha.data, truth);
  const withGaps = await extractSubject(image, { ...plain, seeThrough: 'gaps' });
  return { off, gaps: iou(withGaps.alpha.data, truth), regions: withGaps.seeThrough.regions };
}

async function main() {
  const count = Number(process.argv[2] ?? 80);
  const negatives = Math.ceil(count / 2);
  const backgrounds = await photoBackgrounds();
  const fills: Array<{ label: string; fill: (seed: number) => PaneFill; scenes: number }> = [
    { label: 'windows (empty panes)', fill: () => ({ kind: 'none' }), scenes: count },
    { label: 'doors (solid panels)', fill: () => ({ kind: 'panel' }), scenes: negatives },
    { label: 'framed pictures', fill: (seed) => ({ kind: 'picture', photo: photoPath(PHOTOS[(seed + 3) % PHOTOS.length]) }), scenes: negatives },
  ];
  const summary: string[] = [];
  for (const { label, fill, scenes } of fills) {
    let off = 0;
    let on = 0;
    let worst = 0;
    let firstTwenty = 0;
    console.log(`-- ${label}`);
    for (let seed = 1; seed <= scenes; seed++) {
      const scene = await windowScene(backgrounds[seed % backgrounds.length], seed, 640, 480, fill(seed));
      const result = await compare(scene.image, scene.alpha);
      off += result.off;
      on += result.gaps;
      worst = Math.min(worst, result.gaps - result.off);
      if (seed === 20) firstTwenty = on - off;
      console.log(
        `scene ${String(seed).padStart(2)} (${scene.panes} panes): IoU off ${result.off.toFixed(3)}  gaps ${result.gaps.toFixed(3)}  (${result.regions} regions)`,
      );
    }
    const seedsOneToTwenty = scenes > 20 ? `; seeds 1-20: ${(firstTwenty / 20).toFixed(3)}` : '';
    summary.push(
      `${label}, ${scenes} scenes: mean IoU off ${(off / scenes).toFixed(3)}, gaps ${(on / scenes).toFixed(3)}, change ${((on - off) / scenes).toFixed(3)}, worst scene ${worst.toFixed(3)}${seedsOneToTwenty}`,
    );
  }
  for (const name of PHOTOS) {
    const result = await compare(readPhoto(name), await referenceMask(name));
    summary.push(`${name}: IoU change with gaps ${(result.gaps - result.off).toFixed(4)} (must not drop by more than 0.02)`);
  }
  console.log('');
  for (const line of summary) console.log(line);
  console.log('goal: windows +0.10 on average; product in the panes and the plain photos never lower by more than 0.02');
  await closeWorkerPool();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

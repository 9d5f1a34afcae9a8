/**
 * npm run bench:seethrough [-- N] — see-through "gaps" on synthetic window scenes with the
 * real model: N seeded scenes (default 20), an aluminium frame with 2-4 empty panes drawn
 * over subject-free background crops of the fixture photos, known alpha = the frame. Prints
 * the mask IoU against the known alpha without and with see-through, per scene and on
 * average (issue #3's goal: +0.10 on average), and the change on the plain fixtures.
 */
import path from 'node:path';

import { closeWorkerPool } from '../src/engine';
import { extractSubject } from '../src/engine/subject';
import { iou, PHOTOS, photoPath, referenceMask, readPhoto } from '../test/helpers/fixtures';
import { backgroundRegion, windowScene } from '../test/helpers/windowScene';

async function main() {
  const count = Number(process.argv[2] ?? 20);
  const plain = { featherPx: 0, decontaminate: false, enhanceFg: false };
  const backgrounds = await Promise.all(
    PHOTOS.map(async (name) => ({
      photo: photoPath(name),
      region: await backgroundRegion(photoPath(name), path.join(path.dirname(path.dirname(photoPath(name))), 'reference-masks', name.replace(/\.\w+$/, '.png'))),
    })),
  );
  let off = 0;
  let on = 0;
  for (let seed = 1; seed <= count; seed++) {
    const scene = await windowScene(backgrounds[seed % backgrounds.length], seed);
    const a = iou((await extractSubject(scene.image, plain)).alpha.data, scene.alpha);
    const withGaps = await extractSubject(scene.image, { ...plain, seeThrough: 'gaps' });
    const b = iou(withGaps.alpha.data, scene.alpha);
    off += a;
    on += b;
    console.log(`scene ${String(seed).padStart(2)} (${scene.panes} panes): IoU off ${a.toFixed(3)}  gaps ${b.toFixed(3)}  (${withGaps.seeThrough.regions} regions)`);
  }
  console.log(`mean IoU over ${count} scenes: off ${(off / count).toFixed(3)}, gaps ${(on / count).toFixed(3)}, change ${((on - off) / count).toFixed(3)} (goal +0.10)`);
  for (const name of PHOTOS) {
    const reference = await referenceMask(name);
    const a = iou((await extractSubject(readPhoto(name), plain)).alpha.data, reference);
    const b = iou((await extractSubject(readPhoto(name), { ...plain, seeThrough: 'gaps' })).alpha.data, reference);
    console.log(`${name}: IoU change with gaps ${(b - a).toFixed(4)} (must not drop by more than 0.02)`);
  }
  await closeWorkerPool();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

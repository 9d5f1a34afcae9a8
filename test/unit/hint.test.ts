import { parseSubjectHint, resolveHint } from '../../src/engine/segment/hint';
import { cutoutConfidence, maskIoU, softMaskIoU } from '../../src/engine/matte/confidence';
import { offBarShare, preferColorPrior } from '../../src/engine/frame/boxPrior';
import { applyPoints } from '../../src/engine/matte/points';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { cutoutDecisions } from '../../src/engine/sidecar';
import { maskStats } from '../../src/engine/matte/matte';
import { parsePresetList } from '../../src/engine/presets';
import { replaceBackground } from '../../src/engine/pipeline/replace';
import { extractSubject } from '../../src/engine/pipeline/subject';
import { iou, modelCacheDir, PHOTOS, photoPath, readPhoto } from '../../testkit/fixtures';
import { windowScene } from '../../testkit/windowScene';

afterAll(() => closeWorkerPool());

/** A 200x100 mask with the given filled rectangles (x, y, w, h) and an optional soft rim. */
function mask(rects: Array<[number, number, number, number]>, soft = 0) {
  const width = 200;
  const height = 100;
  const data = Buffer.alloc(width * height);
  for (const [x0, y0, w, h] of rects) {
    for (let y = y0 - soft; y < y0 + h + soft; y++) {
      for (let x = x0 - soft; x < x0 + w + soft; x++) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const inside = x >= x0 && y >= y0 && x < x0 + w && y < y0 + h;
        data[y * width + x] = Math.max(data[y * width + x], inside ? 255 : 120);
      }
    }
  }
  return { data, width, height };
}

describe('subject hints: parsing and validation', () => {
  test('short forms, JSON and objects; fractions when every value is within 0..1', () => {
    expect(parseSubjectHint('')).toBeUndefined();
    expect(parseSubjectHint('10, 20, 100, 50')).toMatchObject({ box: { x: 10, y: 20, width: 100, height: 50 }, units: 'auto', margin: 0.1 });
    expect(parseSubjectHint('{"box":{"x":0.1,"y":0.1,"width":0.5,"height":0.5},"margin":0.2}')).toMatchObject({ margin: 0.2 });
    expect(parseSubjectHint(undefined, { include: '5,5; 6,7' })).toMatchObject({
      include: [
        { x: 5, y: 5 },
        { x: 6, y: 7 },
      ],
    });
    expect(resolveHint(parseSubjectHint('0.1,0.2,0.5,0.5')!, 200, 100).box).toEqual({ x: 20, y: 20, width: 100, height: 50 });
    expect(resolveHint(parseSubjectHint('10,20,100,50')!, 200, 100).box).toEqual({ x: 10, y: 20, width: 100, height: 50 });
    // A box reaching past the edge is clipped to the image.
    expect(resolveHint(parseSubjectHint('150,50,100,100')!, 200, 100).box).toEqual({ x: 150, y: 50, width: 50, height: 50 });
  });

  test('a box outside the image, of zero size, points outside the box, malformed text: clear errors', () => {
    expect(() => resolveHint(parseSubjectHint('300,10,50,50')!, 200, 100)).toThrow(/box 300,10 50x50 lies outside the 200x100 image/);
    expect(() => resolveHint(parseSubjectHint('10,10,0,50')!, 200, 100)).toThrow(/has zero size/);
    expect(() => resolveHint(parseSubjectHint('10,10,50,50', { include: '100,90' })!, 200, 100)).toThrow(/include point 100,90 lies outside the box/);
    expect(() => resolveHint(parseSubjectHint(undefined, { exclude: '500,5' })!, 200, 100)).toThrow(/exclude point 500,5 lies outside the 200x100 image/);
    expect(() => parseSubjectHint('10,10,50')).toThrow(/needs four numbers/);
    expect(() => parseSubjectHint('left half')).toThrow(/neither "x,y,width,height" nor JSON/);
    expect(() => parseSubjectHint(undefined, { include: '5' })).toThrow(/include point "5" is not "x,y"/);
    expect(() => parseSubjectHint({ box: { x: 1 } })).toThrow(/Subject hint: box\.y: Required/);
  });

  test('points keep the pieces under include points and drop those under exclude points, soft rim included', () => {
    const two = mask(
      [
        [10, 10, 40, 40],
        [120, 10, 40, 40],
      ],
      2,
    );
    const kept = applyPoints(two, [{ x: 20, y: 20 }], []);
    expect(kept.dropped).toBe(1);
    expect(kept.alpha.data[20 * 200 + 20]).toBe(255);
    expect(kept.alpha.data[20 * 200 + 130]).toBe(0);
    expect(kept.alpha.data[20 * 200 + 119]).toBe(0); // the dropped piece's soft rim
    const dropped = applyPoints(two, [], [{ x: 130, y: 20 }]);
    expect(dropped.alpha.data[20 * 200 + 130]).toBe(0);
    expect(dropped.alpha.data[20 * 200 + 20]).toBe(255);
    expect(applyPoints(two, [{ x: 100, y: 90 }], []).warnings[0]).toMatch(/include point 100,90 is on background/);
  });
});

describe('framed products: colour prior or model', () => {
  // A two-pane window in a 200x100 image: box 40,10 120x80, bars 3 px.
  const box = { x: 40, y: 10, width: 120, height: 80 };
  const frame: Array<[number, number, number, number]> = [
    [40, 10, 120, 3],
    [40, 87, 120, 3],
    [40, 10, 3, 80],
    [157, 10, 3, 80],
    [98, 10, 3, 80],
  ];
  const withCup = (rects: Array<[number, number, number, number]>) => {
    const m = mask(rects);
    // A round cup seen through each pane.
    for (let y = 0; y < 100; y++)
      for (let x = 0; x < 200; x++) if ((x - 70) ** 2 + (y - 50) ** 2 < 22 ** 2 || (x - 128) ** 2 + (y - 50) ** 2 < 22 ** 2) m.data[y * 200 + x] = 255;
    return m;
  };

  test('a frame of straight bars is ~0 off the bars; a cup kept in a pane is not', () => {
    expect(offBarShare(mask(frame), box)).toBeLessThan(0.06); // its junctions
    expect(offBarShare(withCup(frame), box)).toBeGreaterThan(0.3);
  });

  test('the prior wins over a model that kept the cup, never over a model that is the better frame', () => {
    const prior = mask(frame);
    expect(preferColorPrior(withCup(frame), box, { prior })).toBe(true);
    // The prior took in something the bars' colour (a cup of the same white): the model's clean frame stays.
    expect(preferColorPrior(mask(frame), box, { prior: withCup(frame) })).toBe(false);
    // A model that missed the box's sides loses to a frame-like prior.
    expect(preferColorPrior(mask([[90, 30, 30, 30]]), box, { prior })).toBe(true);
  });
});

describe('confidence score', () => {
  test('a crisp single subject scores high; fragments, cut-off, tiny coverage, soft bands and disagreement lower it with reasons', async () => {
    const clean = await cutoutConfidence(mask([[50, 20, 100, 60]]));
    expect(clean.score).toBeGreaterThan(0.95);
    expect(clean.reasons).toEqual([]);
    const fragmented = await cutoutConfidence(
      mask([
        [10, 20, 60, 60],
        [100, 20, 60, 60],
        [170, 10, 20, 20],
      ]),
    );
    expect(fragmented.score).toBeLessThan(0.3);
    expect(fragmented.reasons.join()).toMatch(/fragmented: 3 pieces/);
    const cut = await cutoutConfidence(mask([[0, 20, 100, 80]]));
    expect(cut.reasons.join()).toMatch(/touches 2 sides/);
    expect(cut.score).toBeCloseTo(0.7, 2);
    const tiny = await cutoutConfidence(mask([[100, 50, 5, 5]]));
    expect(tiny.reasons.join()).toMatch(/coverage 0\.1 % of the image/);
    const soft = await cutoutConfidence(mask([[60, 30, 80, 40]], 9));
    expect(soft.reasons.join()).toMatch(/soft band/);
    expect(soft.score).toBeLessThan(clean.score);
    const disagree = await cutoutConfidence(mask([[50, 20, 100, 60]]), { agreement: 0.6 });
    expect(disagree.reasons.join()).toMatch(/disagree: IoU 0\.60/);
    const panes = await cutoutConfidence(mask([[50, 20, 100, 60]]), { seeThroughShare: 0.5 });
    expect(panes.score).toBe(0);
    expect(panes.reasons.join()).toMatch(/background seen through: 50 % of the subject/);
    expect(panes.features.seeThrough).toBe(0.5);
    const nothingSeen = await cutoutConfidence(mask([[50, 20, 100, 60]]), { seeThroughShare: 0 });
    expect(nothingSeen.score).toBe(clean.score);
    expect(nothingSeen.reasons).toEqual([]);
    expect((await cutoutConfidence(mask([]))).score).toBe(0);
    expect(maskIoU(mask([[0, 0, 10, 10]]).data, mask([[5, 0, 10, 10]]).data)).toBeCloseTo(1 / 3, 5);
    // A 40 % ghost over the whole of the second mask's extra area: the thresholded IoU misses it.
    const ghost = Uint8Array.from([255, 255, 102, 102]);
    expect(maskIoU(Uint8Array.from([255, 255, 0, 0]), ghost)).toBe(1);
    expect(softMaskIoU(Uint8Array.from([255, 255, 0, 0]), ghost)).toBeCloseTo(510 / 714, 5);
  });

  test('sidecar: scores.cutout always, the review reasons joined to decisions.reasons', () => {
    const sidecar = { scores: { aesthetic: 0.8 }, decisions: { kept: true, reasons: ['sharp'] } };
    expect(cutoutDecisions(sidecar, { confidence: { score: 0.91 } })).toEqual({ scores: { aesthetic: 0.8, cutout: 0.91 } });
    expect(cutoutDecisions(sidecar, { confidence: { score: 0.4 } }, { reasons: ['fragmented: 3 pieces'] })).toEqual({
      scores: { aesthetic: 0.8, cutout: 0.4 },
      decisions: { kept: true, reasons: ['sharp', 'cutout review: fragmented: 3 pieces'] },
    });
  });
});

describe('subject hint on a real photo (the model runs)', () => {
  test('a box: only that region is segmented, alpha is 0 outside it; the confidence and hint are reported', async () => {
    const scene = await windowScene(photoPath('chelsea.png'), 10);
    const box = { x: 100, y: 60, width: 300, height: 260 };
    const subject = await extractSubject(
      scene.image,
      { featherPx: 0, decontaminate: false, enhanceFg: false, hint: parseSubjectHint({ box, units: 'px', margin: 0.1 }), crossCheck: true },
      { config: { modelCacheDir: modelCacheDir(), device: 'cpu' } },
    );
    for (let y = 0; y < scene.height; y++) {
      for (let x = 0; x < scene.width; x++) {
        if (x < box.x || y < box.y || x >= box.x + box.width || y >= box.y + box.height) expect(subject.alpha.data[y * scene.width + x]).toBe(0);
      }
    }
    expect(subject.hint).toEqual({ box, include: 0, exclude: 0, piecesDropped: 0 });
    expect(subject.confidence.features.agreement).toEqual(expect.any(Number));
    expect(subject.confidence.score).toBeGreaterThanOrEqual(0);
    expect(subject.confidence.score).toBeLessThanOrEqual(1);
  });

  test('a framed product: where the model looked through the panes, the bar colours along the box give the cut-out', async () => {
    const scene = await windowScene(photoPath(PHOTOS[7 % PHOTOS.length]), 7);
    const frame = maskStats({ data: Buffer.from(scene.alpha), width: scene.width, height: scene.height }).bbox!;
    const box = { x: frame.x - 6, y: frame.y - 6, width: frame.width + 12, height: frame.height + 12 };
    const plain = { featherPx: 0, decontaminate: false, enhanceFg: false };
    const context = { config: { modelCacheDir: modelCacheDir(), device: 'cpu' as const } };
    const boxOnly = await extractSubject(scene.image, { ...plain, hint: parseSubjectHint({ box, units: 'px' }) }, context);
    const framed = await extractSubject(scene.image, { ...plain, hint: parseSubjectHint({ box, units: 'px', frame: true }) }, context);
    console.log(
      `framed-product scene: IoU box only ${iou(boxOnly.alpha.data, scene.alpha).toFixed(3)}, box + frame ${iou(framed.alpha.data, scene.alpha).toFixed(3)}`,
    );
    expect(framed.hint?.source).toBe('box colours');
    expect(iou(framed.alpha.data, scene.alpha)).toBeGreaterThan(0.9);
    expect(iou(framed.alpha.data, scene.alpha)).toBeGreaterThan(iou(boxOnly.alpha.data, scene.alpha) + 0.3);
  });

  test('a preset carries a fixed framing: Replace uses its box when the node gives none', async () => {
    const framing = {
      name: 'turntable',
      subjectHint: { box: { x: 0.1, y: 0.1, width: 0.8, height: 0.8 } },
      promptTypes: { white: { prompt: 'plain white studio', backdrop: { type: 'solid' as const, color: '#ffffff' } } },
    };
    const result = await replaceBackground(
      readPhoto('apple.jpg'),
      { preset: 'turntable', promptType: 'white', customPresets: parsePresetList(framing), format: 'png' },
      { config: { modelCacheDir: modelCacheDir(), device: 'cpu' } },
    );
    expect(result.metadata.hint?.box).toEqual({ x: 51, y: 51, width: 410, height: 410 });
  });
});

import sharp from 'sharp';

import { BackgroundCleanup } from '../../nodes/BackgroundCleanup/BackgroundCleanup.node';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { binaryItem, fakeExecuteFunctions } from '../../testkit/fakeExecuteFunctions';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';

beforeAll(() => {
  process.env.BG_MODEL_CACHE_DIR = modelCacheDir();
  process.env.DEVICE = 'cpu';
});
afterAll(() => closeWorkerPool());

const node = new BackgroundCleanup();
const baseParameters = { binaryPropertyName: 'data', mode: 'transparent', outputBinaryPropertyName: 'data', options: {} };

describe('Background Cleanup node', () => {
  test('description: the modes and options a user expects', () => {
    const names = node.description.properties.map((p) => p.name);
    expect(names).toEqual([
      'binaryPropertyName',
      'mode',
      'color',
      'blurRadius',
      'blurSigma',
      'blurType',
      'outputBinaryPropertyName',
      'options',
      'routeByConfidence',
      'reviewBelow',
    ]);
    expect(node.description.version).toEqual([1, 2]);
    expect(node.description.defaultVersion).toBe(2);
    const mode = node.description.properties.find((p) => p.name === 'mode')!;
    expect(mode.options!.map((o) => ('value' in o ? o.value : undefined))).toEqual(['transparent', 'color', 'blur', 'mask']);
    const options = node.description.properties.find((p) => p.name === 'options')!;
    expect(options.options!.map((o) => o.name).sort()).toEqual(
      [
        'crop',
        'cropMargin',
        'crossCheck',
        'decontaminate',
        'enhanceFg',
        'excludePoints',
        'featherEdges',
        'featherPx',
        'format',
        'framedProduct',
        'glassOpacity',
        'glassTint',
        'includePoints',
        'metadata',
        'modelFamily',
        'modelPath',
        'quality',
        'seeThrough',
        'subjectHint',
        'outputSize',
        'aspectRatio',
        'padding',
        'subjectScale',
        'horizontalAlign',
        'anchor',
        'maxWidth',
        'maxHeight',
      ].sort(),
    );
  });

  test('version 2 reads Blur Sigma and Feather (Px); version 1 workflows keep their Blur Radius and Feather Edges values', async () => {
    const run = async (typeVersion: number, parameters: Record<string, unknown>) => {
      const { context } = fakeExecuteFunctions({
        items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg')],
        parameters: { ...baseParameters, mode: 'blur', ...parameters },
        typeVersion,
      });
      const [[out]] = await node.execute.call(context);
      return (out.json.background as { settings: Record<string, unknown> }).settings;
    };
    expect(await run(2, { blurSigma: 7, options: { featherPx: 3 } })).toMatchObject({ blurSigma: 7, featherPx: 3, featherEdges: true });
    expect(await run(1, { blurRadius: 9, options: { featherEdges: 0 } })).toMatchObject({ blurSigma: 9, featherPx: 0, featherEdges: false });
  });

  test('see-through: Gaps by default in version 2, off for version 1 workflows unless they choose it', async () => {
    const run = async (typeVersion: number, options: Record<string, unknown>) => {
      const { context } = fakeExecuteFunctions({
        items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg')],
        parameters: { ...baseParameters, options },
        typeVersion,
      });
      const [[out]] = await node.execute.call(context);
      return (out.json.background as { seeThrough: { mode: string; regions: number } }).seeThrough;
    };
    expect(await run(2, {})).toMatchObject({ mode: 'gaps', regions: 0 });
    expect(await run(1, {})).toMatchObject({ mode: 'off' });
    expect(await run(1, { seeThrough: 'glass', glassOpacity: 0.3 })).toMatchObject({ mode: 'glass' });
    const names = node.description.properties.find((p) => p.name === 'options')!.options!.map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['seeThrough', 'glassOpacity', 'glassTint']));
  });

  test('returns a transparent PNG, the metadata, the input JSON and pairedItem', async () => {
    const { context } = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg', 'image/jpeg', { mediaId: 42 })],
      parameters: baseParameters,
    });
    const [[out]] = await node.execute.call(context);
    expect(out.pairedItem).toEqual({ item: 0 });
    expect(out.json.mediaId).toBe(42);
    const background = out.json.background as Record<string, unknown>;
    expect(background).toMatchObject({
      mode: 'cleanup',
      cleanupMode: 'transparent',
      engine: 'onnx',
      device: 'cpu',
      format: 'png',
      fileName: 'apple-cutout.png',
    });
    expect(background.bbox).toEqual(expect.objectContaining({ x: expect.any(Number), width: expect.any(Number) }));
    expect(background.coverage).toBeGreaterThan(0.2);
    expect(background.timings).toEqual(expect.objectContaining({ totalMs: expect.any(Number), inferenceMs: expect.any(Number) }));
    const image = Buffer.from(out.binary!.data.data, 'base64');
    const meta = await sharp(image).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 512, height: 512, hasAlpha: true });
    expect(out.binary!.data.mimeType).toBe('image/png');
  });

  test('color mode on a custom colour, cropped, as JPEG into another binary field', async () => {
    const { context } = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('coffee.png'), 'coffee.png', 'image/png')],
      parameters: {
        ...baseParameters,
        mode: 'color',
        color: '#102030',
        outputBinaryPropertyName: 'cutout',
        options: { crop: true, cropMargin: 10, format: 'jpeg', quality: 80 },
      },
    });
    const [[out]] = await node.execute.call(context);
    expect(Object.keys(out.binary!).sort()).toEqual(['cutout', 'data']);
    const background = out.json.background as { bbox: { width: number; height: number }; width: number; height: number; settings: { color: string } };
    expect(background.settings.color).toBe('#102030');
    const meta = await sharp(Buffer.from(out.binary!.cutout.data, 'base64')).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeLessThanOrEqual(background.bbox.width + 20);
    expect(meta.width).toBe(background.width);
  });

  test('mask mode returns a single-channel PNG', async () => {
    const { context } = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('butterfly.jpg'), 'butterfly.jpg')],
      parameters: { ...baseParameters, mode: 'mask' },
    });
    const [[out]] = await node.execute.call(context);
    const meta = await sharp(Buffer.from(out.binary!.data.data, 'base64')).metadata();
    expect(meta.channels).toBe(1);
    expect(out.binary!.data.fileName).toBe('butterfly-mask.png');
  });

  test('with continue-on-fail, bad items become errors naming the item and cause; good ones still come out', async () => {
    const items = [
      binaryItem(readPhoto('apple.jpg'), 'apple.jpg'),
      binaryItem(Buffer.from('not an image'), 'notes.jpg'),
      { json: { id: 'no-binary' } },
      binaryItem(Buffer.alloc(0), 'empty.jpg'),
      binaryItem(readPhoto('butterfly.jpg'), 'butterfly.jpg'),
    ];
    const { context } = fakeExecuteFunctions({ items, parameters: baseParameters, continueOnFail: true });
    const [out] = await node.execute.call(context);
    expect(out).toHaveLength(5);
    expect(out.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));
    expect(out[0].json.background).toBeDefined();
    expect(out[1].json.error).toMatch(/Item 1 \(notes\.jpg\): Not an image/);
    // The failed item keeps its binary, and the cause in details (n8n keeps details and error).
    expect(out[1].json.details).toEqual({ itemIndex: 1, fileName: 'notes.jpg', errorCode: 'INPUT_UNSUPPORTED', description: 'Error code INPUT_UNSUPPORTED' });
    expect(out[1].binary?.data.fileName).toBe('notes.jpg');
    expect(out[1].error).toBeUndefined();
    expect(out[2].json.error).toMatch(/binary file 'data'/);
    expect(out[2].json.id).toBe('no-binary');
    expect(out[3].json.error).toMatch(/Item 3 \(empty\.jpg\): The file is empty/);
    expect(out[4].json.background).toBeDefined();
  });

  test("with the error output on, a failed item's JSON holds only error and details (n8n merges the input JSON back in)", async () => {
    const items = [binaryItem(Buffer.from('not an image'), 'notes.jpg', 'image/jpeg', { id: 'm7', fileName: 'notes.jpg' })];
    const { context } = fakeExecuteFunctions({ items, parameters: baseParameters, continueOnFail: true, onError: 'continueErrorOutput' });
    const [[failed]] = await node.execute.call(context);
    expect(Object.keys(failed.json).sort()).toEqual(['details', 'error']);
    expect(failed.json.details).toMatchObject({ errorCode: 'INPUT_UNSUPPORTED', fileName: 'notes.jpg' });
    expect(failed.binary?.data.fileName).toBe('notes.jpg');
    expect(failed.pairedItem).toEqual({ item: 0 });
  });

  test('without continue-on-fail, the first bad item stops the node with a NodeOperationError', async () => {
    const { context } = fakeExecuteFunctions({
      items: [binaryItem(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="99" height="99"/>'), 'logo.svg', 'image/svg+xml')],
      parameters: baseParameters,
    });
    await expect(node.execute.call(context)).rejects.toMatchObject({
      name: 'NodeOperationError',
      message: expect.stringMatching(/Item 0 \(logo\.svg\): SVG is not a supported photo format/),
      context: expect.objectContaining({ itemIndex: 0 }),
    });
  });

  test('bad options are clear errors', async () => {
    const { context } = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg')],
      parameters: { ...baseParameters, options: { format: 'jpeg' } },
    });
    await expect(node.execute.call(context)).rejects.toThrow(/JPEG cannot store transparency/);
    const color = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg')],
      parameters: { ...baseParameters, mode: 'color', color: 'blue-ish' },
    });
    await expect(node.execute.call(color.context)).rejects.toThrow(/"blue-ish" is not a hex colour/);
    const model = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg')],
      parameters: { ...baseParameters, options: { modelPath: '/nope/model.onnx' } },
    });
    await expect(node.execute.call(model.context)).rejects.toThrow(/Model file not found: \/nope\/model\.onnx/);
  });

  test('route by confidence: a second output "Needs Review" with the reasons; the box hint from the item JSON; a bad hint fails alone', async () => {
    const items = [
      binaryItem(readPhoto('apple.jpg'), 'apple.jpg', 'image/jpeg', { subjectHint: '0.1,0.1,0.8,0.8' }),
      binaryItem(readPhoto('apple.jpg'), 'apple2.jpg', 'image/jpeg', { subjectHint: '600,10,50,50' }),
    ];
    const parameters = (threshold: number) => ({ ...baseParameters, options: { format: 'png' }, routeByConfidence: true, reviewBelow: threshold });
    const strict = fakeExecuteFunctions({ items, parameters: parameters(1), continueOnFail: true });
    const [done, review] = await node.execute.call(strict.context);
    expect(review).toHaveLength(1);
    const background = review[0].json.background as { hint: unknown; confidence: { score: number } };
    expect(background.hint).toEqual({ box: { x: 51, y: 51, width: 410, height: 410 }, include: 0, exclude: 0, piecesDropped: 0 });
    expect(review[0].json.review).toEqual({ score: background.confidence.score, threshold: 1, reasons: expect.arrayContaining([expect.any(String)]) });
    // The bad hint is an error item: it stays on the first output, where n8n's error routing finds it.
    expect(done).toHaveLength(1);
    expect(done[0].json.error).toMatch(/Item 1 \(apple2\.jpg\): Subject hint: the box 600,10 50x50 lies outside the 512x512 image/);
    const lenient = fakeExecuteFunctions({ items: items.slice(0, 1), parameters: parameters(0) });
    const [passed, none] = await node.execute.call(lenient.context);
    expect(passed).toHaveLength(1);
    expect(none).toHaveLength(0);
    expect(node.description.outputs).toMatch(/routeByConfidence.*Needs Review/);
  });
});

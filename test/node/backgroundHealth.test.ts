import { BackgroundHealth } from '../../nodes/BackgroundHealth/BackgroundHealth.node';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { fakeExecuteFunctions } from '../../testkit/fakeExecuteFunctions';

afterAll(() => closeWorkerPool());

describe('Background Worker Health node', () => {
  const saved = process.env.BG_RUNTIME;
  afterEach(() => {
    if (saved === undefined) delete process.env.BG_RUNTIME;
    else process.env.BG_RUNTIME = saved;
  });

  test('one item with the CLI health JSON: the backend probed, the model and its hash', async () => {
    const { context } = fakeExecuteFunctions({ items: [{ json: {} }, { json: {} }], parameters: { failWhenUnhealthy: true } });
    const [out] = await new BackgroundHealth().execute.call(context);
    expect(out).toHaveLength(1);
    expect(out[0].pairedItem).toEqual({ item: 0 });
    expect(out[0].json).toMatchObject({
      status: 'ok',
      runtime: { requested: 'auto', ok: true, backend: 'native', library: 'onnxruntime-node' },
      model: { found: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });

  test('BG_RUNTIME=wasm is what the node reports on a WASM worker', async () => {
    process.env.BG_RUNTIME = 'wasm';
    const { context } = fakeExecuteFunctions({ items: [{ json: {} }], parameters: { failWhenUnhealthy: false } });
    const [out] = await new BackgroundHealth().execute.call(context);
    expect(out[0].json).toMatchObject({ runtime: { backend: 'wasm', library: 'onnxruntime-web' }, device: { willUse: 'wasm' } });
  });

  test('an unusable setting: the report says error, and Fail When Unhealthy stops the workflow naming the cause', async () => {
    process.env.BG_RUNTIME = 'quantum';
    const report = fakeExecuteFunctions({ items: [{ json: {} }], parameters: { failWhenUnhealthy: false } });
    const [out] = await new BackgroundHealth().execute.call(report.context);
    expect(out[0].json.problems).toEqual(expect.arrayContaining([expect.stringMatching(/Environment variable BG_RUNTIME="quantum" is invalid/)]));
    const strict = fakeExecuteFunctions({ items: [{ json: {} }], parameters: { failWhenUnhealthy: true } });
    process.env.BG_RUNTIME = 'native';
    process.env.BG_MODEL_PATH = '/nowhere/model.onnx';
    try {
      await expect(new BackgroundHealth().execute.call(strict.context)).rejects.toThrow(
        /This worker cannot run the background models: .*\/nowhere\/model\.onnx/,
      );
    } finally {
      delete process.env.BG_MODEL_PATH;
    }
  });
});

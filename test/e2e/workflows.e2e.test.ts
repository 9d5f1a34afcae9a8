import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

import { writeTinySdxl } from '../../testkit/tinySdxl';
import { photoPath } from '../../testkit/fixtures';
import { unloadableOnnxruntimeDir } from '../../testkit/muslLike';
import { RunwayTestServer } from '../../testkit/runwayServer';
import { createInstance, executionResult, N8N_UI_INSTALL_FLAGS, n8n, type N8nInstance, PACKAGE_NAME, removeWorkDir } from '../../testkit/n8nHarness';

/**
 * Real n8n, end to end (one install shared by the tests below, made as n8n's UI makes it): Manual Trigger -> Read Files from Disk -> Background Cleanup ->
 * Write Files to Disk, and the cut-outs -> Background Preset -> Background Replace -> Write,
 * run headless with `n8n execute`, binary data mode filesystem.
 * One input is corrupt: with the node set to continue through its error output, the good
 * photos still come out and the bad one is reported.
 */
const WORKFLOW_ID = 'vbgE2eCleanup01';

function workflow(inputDir: string, outputDir: string, id = WORKFLOW_ID) {
  return {
    id,
    name: 'Background Cleanup e2e',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      { id: 'n1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'n2',
        name: 'Read Photos',
        type: 'n8n-nodes-base.readWriteFile',
        typeVersion: 1.1,
        position: [220, 0],
        parameters: { operation: 'read', fileSelector: `${inputDir}/*`, options: {} },
      },
      {
        id: 'n3',
        name: 'Background Cleanup',
        type: `${PACKAGE_NAME}.backgroundCleanup`,
        typeVersion: 1,
        position: [440, 0],
        onError: 'continueErrorOutput',
        parameters: { binaryPropertyName: 'data', mode: 'transparent', outputBinaryPropertyName: 'data', options: { crop: true, cropMargin: 4 } },
      },
      {
        id: 'n4',
        name: 'Write Cut-outs',
        type: 'n8n-nodes-base.readWriteFile',
        typeVersion: 1.1,
        position: [660, -80],
        parameters: { operation: 'write', fileName: `=${outputDir}/{{ $binary.data.fileName }}`, dataPropertyName: 'data', options: {} },
      },
      { id: 'n5', name: 'Failed Photos', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [660, 80], parameters: {} },
      {
        id: 'n6',
        name: 'Background Preset',
        type: `${PACKAGE_NAME}.backgroundPreset`,
        typeVersion: 1,
        position: [660, -240],
        parameters: { operation: 'get', preset: 'vitrinealu', promptType: 'garden', options: {} },
      },
      {
        id: 'n7',
        name: 'Background Replace',
        type: `${PACKAGE_NAME}.backgroundReplace`,
        typeVersion: 1,
        position: [880, -240],
        parameters: {
          binaryPropertyName: 'data',
          engine: 'studio',
          preset: '',
          promptType: '',
          outputBinaryPropertyName: 'data',
          options: { aspectRatio: '4:5', padding: '6%' },
        },
      },
      {
        id: 'n8',
        name: 'Write Replaced',
        type: 'n8n-nodes-base.readWriteFile',
        typeVersion: 1.1,
        position: [1100, -240],
        parameters: { operation: 'write', fileName: `=${outputDir}/{{ $binary.data.fileName }}`, dataPropertyName: 'data', options: {} },
      },
    ],
    connections: {
      Start: { main: [[{ node: 'Read Photos', type: 'main', index: 0 }]] },
      'Read Photos': { main: [[{ node: 'Background Cleanup', type: 'main', index: 0 }]] },
      'Background Cleanup': {
        main: [
          [
            { node: 'Write Cut-outs', type: 'main', index: 0 },
            { node: 'Background Preset', type: 'main', index: 0 },
          ],
          [{ node: 'Failed Photos', type: 'main', index: 0 }],
        ],
      },
      'Background Preset': { main: [[{ node: 'Background Replace', type: 'main', index: 0 }]] },
      'Background Replace': { main: [[{ node: 'Write Replaced', type: 'main', index: 0 }]] },
    },
  };
}

/** `<prefix>in` with the named fixture photos (and a truncated JPEG, corrupt.jpg), and an empty `<prefix>out`. */
function photoFolders(work: string, prefix: string, photos: string[], corrupt = false): { input: string; output: string } {
  const input = path.join(work, `${prefix}in`);
  const output = path.join(work, `${prefix}out`);
  fs.mkdirSync(input);
  fs.mkdirSync(output);
  for (const name of photos) fs.copyFileSync(photoPath(name), path.join(input, name));
  if (corrupt) fs.writeFileSync(path.join(input, 'corrupt.jpg'), fs.readFileSync(photoPath('butterfly.jpg')).subarray(0, 2000));
  return { input, output };
}

describe('the nodes in a real n8n', () => {
  let work: string;
  let instance: N8nInstance;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-e2e-'));
    instance = createInstance(work);
  }, 1_500_000);
  afterAll(() => removeWorkDir(work));

  test("installed as n8n's UI installs it: the installed n8n runs these npm steps; the package sits alone in its folder, its manifest stripped", () => {
    // n8n's own install code: if a new n8n changes its steps, this harness must follow.
    const service = fs.readFileSync(
      path.join(instance.root, 'app', 'node_modules', 'n8n', 'dist', 'modules', 'community-packages', 'community-packages.service.js'),
      'utf8',
    );
    const downloadPackage = service.slice(service.indexOf('async downloadPackage('), service.indexOf('async deletePackageDirectory('));
    expect(downloadPackage).toMatch(/\['pack', `\$\{packageName\}@\$\{packageVersion\}`, '--quiet'\]/);
    expect(downloadPackage).toMatch(/'-xzf', tarballName, '-C', packageDirectory, '--strip-components=1'/);
    expect(downloadPackage).toMatch(/\{ devDependencies, peerDependencies, optionalDependencies, \.\.\.packageJson \}/);
    const installArgs = /\[\s*'install',([^\]]*)\]/
      .exec(downloadPackage)?.[1]
      .match(/'[^']+'/g)
      ?.map((quoted) => quoted.slice(1, -1));
    expect(installArgs).toEqual([...N8N_UI_INSTALL_FLAGS]);

    const nodesDir = path.join(instance.userFolder, '.n8n', 'nodes');
    const packageDir = path.join(nodesDir, 'node_modules', ...PACKAGE_NAME.split('/'));
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    expect(manifest).not.toHaveProperty('peerDependencies');
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(JSON.parse(fs.readFileSync(path.join(nodesDir, 'package.json'), 'utf8')).dependencies).toEqual({ [PACKAGE_NAME]: manifest.version });
    // Shallow: our dependencies live in the package's own node_modules, none beside it.
    expect(fs.readdirSync(path.join(nodesDir, 'node_modules'))).toEqual(['@vitrinealu']);
    for (const dependency of Object.keys(manifest.dependencies))
      expect(fs.existsSync(path.join(packageDir, 'node_modules', dependency, 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(packageDir, 'node_modules', 'n8n-workflow'))).toBe(false);
  });

  test('Cleanup and Replace (studio): import the workflow and run it with n8n execute', async () => {
    const { input, output } = photoFolders(work, '', ['apple.jpg', 'coffee.png'], true);
    const file = path.join(work, 'workflow.json');
    fs.writeFileSync(file, JSON.stringify(workflow(input, output)));

    const imported = await n8n(instance, ['import:workflow', `--input=${file}`]);
    if (imported.status !== 0) console.log(imported.stdout.slice(-3000), imported.stderr.slice(-3000));
    expect(imported.status).toBe(0);
    const run = await n8n(instance, ['execute', `--id=${WORKFLOW_ID}`, '--rawOutput']);
    if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).not.toMatch(/Unrecognized node type/);

    const written = fs.readdirSync(output).sort();
    expect(written).toEqual(['apple-cutout-replaced.jpg', 'apple-cutout.png', 'coffee-cutout-replaced.jpg', 'coffee-cutout.png']);
    for (const name of written.filter((f) => f.endsWith('.png'))) {
      expect(await sharp(path.join(output, name)).metadata()).toMatchObject({ format: 'png', hasAlpha: true });
    }
    for (const name of written.filter((f) => f.endsWith('.jpg'))) {
      const meta = await sharp(path.join(output, name)).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width! / meta.height!).toBeCloseTo(4 / 5, 2);
    }
    // The corrupt photo went down the error output with a message naming it.
    const result = executionResult(run.stdout);
    const failed = result.data.resultData.runData['Failed Photos'][0].data.main[0];
    expect(failed).toHaveLength(1);
    expect(failed[0].json.error).toMatch(/corrupt\.jpg.*(corrupt|truncated)/);
    // It keeps the input item's JSON (Read Files' fileName, mimeType), its binary, and the cause
    // in details (n8n replaces the JSON of items that carry item.error: runPerItem avoids that).
    expect(failed[0].json).toMatchObject({
      fileName: 'corrupt.jpg',
      mimeType: 'image/jpeg',
      details: { errorCode: 'INPUT_CORRUPT', fileName: 'corrupt.jpg', itemIndex: 2 },
    });
    expect((failed[0] as { binary?: { data?: { fileName?: string } } }).binary?.data?.fileName).toBe('corrupt.jpg');
    const cleaned = result.data.resultData.runData['Background Cleanup'][0].data.main[0];
    expect(cleaned.map((item) => (item.json.background as { cleanupMode: string }).cleanupMode)).toEqual(['transparent', 'transparent']);
    // Replace reused the cut-outs' alpha (no second segmentation) and wrote the old background service's block.
    const replaced = result.data.resultData.runData['Background Replace'][0].data.main[0];
    expect(replaced.map((item) => item.json.background)).toEqual([
      expect.objectContaining({ mode: 'replace', engine: 'studio', promptType: 'garden', matteSource: 'input-alpha', fileName: 'apple-cutout-replaced.jpg' }),
      expect.objectContaining({ mode: 'replace', engine: 'studio', promptType: 'garden', matteSource: 'input-alpha', fileName: 'coffee-cutout-replaced.jpg' }),
    ]);
  }, 600_000);

  test('Replace with engine runway, the credential pointing at the loopback Runway server', async () => {
    const server = await new RunwayTestServer().start();
    try {
      // The second task Runway runs is refused by moderation: it must reach the error output.
      server.plan = (index) => ({
        steps: index === 1 ? ['PENDING', { failed: 'SAFETY.INPUT.TEXT', failure: 'Prompt flagged' }] : ['PENDING', 'THROTTLED', 'RUNNING', 'SUCCEEDED'],
      });
      const { input, output } = photoFolders(work, 'runway-', ['apple.jpg', 'coffee.png']);
      const credentialsFile = path.join(work, 'credentials.json');
      fs.writeFileSync(
        credentialsFile,
        JSON.stringify([
          {
            id: RUNWAY_CREDENTIAL_ID,
            name: 'Runway (loopback)',
            type: 'runwayApi',
            data: { apiKey: server.apiKey, baseUrl: server.url, apiVersion: '2024-11-06' },
          },
        ]),
      );
      const file = path.join(work, 'runway-workflow.json');
      fs.writeFileSync(file, JSON.stringify(runwayWorkflow(input, output)));
      for (const args of [
        ['import:credentials', `--input=${credentialsFile}`],
        ['import:workflow', `--input=${file}`],
      ]) {
        const imported = await n8n(instance, args);
        if (imported.status !== 0) console.log(imported.stdout.slice(-3000), imported.stderr.slice(-3000));
        expect(imported.status).toBe(0);
      }
      const run = await n8n(instance, ['execute', `--id=${RUNWAY_WORKFLOW_ID}`, '--rawOutput'], 300_000, {
        RUNWAY_POLL_INTERVAL: '50',
        BACKGROUND_RETRY_DELAY: '50',
      });
      if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
      expect(run.status).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(server.apiKey);

      expect(server.violations).toEqual([]);
      expect(server.creates()).toHaveLength(2);
      const result = executionResult(run.stdout);
      const replaced = result.data.resultData.runData['Background Replace'][0].data.main;
      expect(replaced[0]).toHaveLength(1);
      expect(replaced[1]).toHaveLength(1);
      const background = replaced[0][0].json.background as Record<string, unknown>;
      expect(background).toMatchObject({ mode: 'replace', engine: 'runway', strategy: 'backdrop', promptType: 'studio' });
      expect(background.engineDetails).toMatchObject({ model: 'gen4_image', taskId: expect.stringMatching(/^task-/) });
      expect(replaced[1][0].json.error).toMatch(/content moderation refused the prompt.*SAFETY\.INPUT\.TEXT/);
      expect(fs.readdirSync(output)).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 600_000);

  test('onnxruntime-node unloadable, as on Alpine/musl: the same workflow runs on WASM and says why once', async () => {
    const fake = unloadableOnnxruntimeDir(work);
    const { input, output } = photoFolders(work, 'musl-', ['apple.jpg', 'coffee.png'], true);
    const file = path.join(work, 'musl-workflow.json');
    fs.writeFileSync(file, JSON.stringify(workflow(input, output, MUSL_WORKFLOW_ID)));
    expect((await n8n(instance, ['import:workflow', `--input=${file}`])).status).toBe(0);
    const run = await n8n(instance, ['execute', `--id=${MUSL_WORKFLOW_ID}`, '--rawOutput'], 600_000, { LD_LIBRARY_PATH: fake });
    if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
    expect(run.status).toBe(0);
    const runData = executionResult(run.stdout).data.resultData.runData;
    const cleaned = runData['Background Cleanup'][0].data.main[0];
    expect(cleaned.map((item) => (item.json.background as { device: string }).device)).toEqual(['wasm', 'wasm']);
    expect(runData['Background Replace'][0].data.main[0]).toHaveLength(2);
    expect(fs.readdirSync(output).sort()).toEqual(['apple-cutout-replaced.jpg', 'apple-cutout.png', 'coffee-cutout-replaced.jpg', 'coffee-cutout.png']);
    const warnings = (run.stdout + run.stderr).split('\n').filter((line) => line.includes('onnxruntime-node cannot run on this system'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/__vsnprintf_chk_musl.*onnxruntime-web \(WASM/);
  }, 900_000);

  test('On Error = Continue: a failed item stays in the main output with its input JSON, binary and details', async () => {
    const { input } = photoFolders(work, 'regular-', ['apple.jpg'], true);
    const file = path.join(work, 'regular-workflow.json');
    fs.writeFileSync(file, JSON.stringify(regularOutputWorkflow(input)));
    expect((await n8n(instance, ['import:workflow', `--input=${file}`])).status).toBe(0);
    const run = await n8n(instance, ['execute', `--id=${REGULAR_WORKFLOW_ID}`, '--rawOutput'], 300_000);
    if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
    expect(run.status).toBe(0);
    const items = executionResult(run.stdout).data.resultData.runData['After Cleanup'][0].data.main[0] as Array<{
      json: Record<string, unknown>;
      binary?: Record<string, { fileName?: string }>;
    }>;
    expect(items).toHaveLength(2);
    const failed = items.find((item) => item.json.error);
    expect(failed?.json).toMatchObject({
      fileName: 'corrupt.jpg',
      mimeType: 'image/jpeg',
      error: expect.stringMatching(/corrupt\.jpg/),
      details: { errorCode: 'INPUT_CORRUPT', fileName: 'corrupt.jpg' },
    });
    expect(failed?.binary?.data?.fileName).toBe('corrupt.jpg');
    expect(items.find((item) => !item.json.error)?.json.background).toMatchObject({ mode: 'cleanup' });
  }, 600_000);

  test("n8n's file-access rules: paths outside N8N_RESTRICT_FILE_ACCESS_TO and n8n's own folder are refused, naming the path", async () => {
    const { input } = photoFolders(work, 'access-', ['apple.jpg']);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'model.onnx'), 'weights');
      fs.writeFileSync(path.join(outside, 'preset.json'), '{}');
      fs.mkdirSync(path.join(outside, 'sdxl'));
      const n8nFolder = path.join(instance.userFolder, '.n8n');
      const file = path.join(work, 'access-workflow.json');
      fs.writeFileSync(file, JSON.stringify(fileAccessWorkflow(input, outside, n8nFolder)));
      expect((await n8n(instance, ['import:workflow', `--input=${file}`])).status).toBe(0);
      const run = await n8n(instance, ['execute', `--id=${ACCESS_WORKFLOW_ID}`, '--rawOutput'], 300_000);
      if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
      expect(run.status).toBe(0);
      const runData = executionResult(run.stdout).data.resultData.runData;
      const refused = (node: string) => runData[node][0].data.main[1]?.map((item) => String(item.json.error)) ?? [];
      const rule = `is not a path this n8n lets nodes use \\(N8N_RESTRICT_FILE_ACCESS_TO=${work.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`;
      expect(refused('Cleanup')).toEqual([expect.stringMatching(new RegExp(`Model Path ${outside}/model\\.onnx ${rule}`))]);
      expect(refused('Replace')).toEqual([expect.stringMatching(new RegExp(`SDXL Model Directory ${outside}/sdxl ${rule}`))]);
      expect(refused('Preset')).toEqual([expect.stringMatching(new RegExp(`Preset File ${outside}/preset\\.json ${rule}`))]);
      // Inside the allowed folder, but n8n's own (N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES).
      expect(refused('Sidecar')).toEqual([expect.stringMatching(new RegExp(`Root Folder ${n8nFolder} ${rule}`))]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  }, 600_000);

  test('Replace with engine sdxl on a tiny fp16 export: the worker thread and onnxruntime run inside n8n on Node 24', async () => {
    const { input, output } = photoFolders(work, 'sdxl-', ['apple.jpg'], true);
    const modelDir = writeTinySdxl(path.join(work, 'tiny-sdxl'), { fp16: true, int64Timestep: true });
    const file = path.join(work, 'sdxl-workflow.json');
    fs.writeFileSync(file, JSON.stringify(sdxlWorkflow(input, output, modelDir)));
    const imported = await n8n(instance, ['import:workflow', `--input=${file}`]);
    expect(imported.status).toBe(0);
    const run = await n8n(instance, ['execute', `--id=${SDXL_WORKFLOW_ID}`, '--rawOutput'], 300_000);
    if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
    expect(run.status).toBe(0);
    const result = executionResult(run.stdout);
    const [done, refused] = result.data.resultData.runData['Background Replace'][0].data.main;
    expect(refused.map((item) => item.json.error)).toEqual([expect.stringMatching(/corrupt\.jpg/)]);
    expect(done).toHaveLength(1);
    expect(done[0].json.background).toMatchObject({
      engine: 'sdxl',
      strategy: 'outpaint',
      engineDetails: { scheduler: 'euler-ancestral', steps: 6, provider: 'cpu' },
    });
    expect(refused[0].json.error).toMatch(/corrupt\.jpg/);
    expect(fs.readdirSync(output)).toEqual(['apple-replaced.png']);
  }, 600_000);
});

const ACCESS_WORKFLOW_ID = 'vbgE2eAccess001';
const MUSL_WORKFLOW_ID = 'vbgE2eMuslLike1';
const REGULAR_WORKFLOW_ID = 'vbgE2eRegular01';

/** Read Photos -> Background Cleanup with On Error = Continue (regular output) -> NoOp. */
function regularOutputWorkflow(inputDir: string) {
  return {
    id: REGULAR_WORKFLOW_ID,
    name: 'Continue on fail e2e',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      { id: 'g1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'g2',
        name: 'Read Photos',
        type: 'n8n-nodes-base.readWriteFile',
        typeVersion: 1.1,
        position: [220, 0],
        parameters: { operation: 'read', fileSelector: `${inputDir}/*`, options: {} },
      },
      {
        id: 'g3',
        name: 'Background Cleanup',
        type: `${PACKAGE_NAME}.backgroundCleanup`,
        typeVersion: 1,
        position: [440, 0],
        onError: 'continueRegularOutput',
        parameters: { binaryPropertyName: 'data', mode: 'mask', outputBinaryPropertyName: 'mask', options: {} },
      },
      { id: 'g4', name: 'After Cleanup', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [660, 0], parameters: {} },
    ],
    connections: {
      Start: { main: [[{ node: 'Read Photos', type: 'main', index: 0 }]] },
      'Read Photos': { main: [[{ node: 'Background Cleanup', type: 'main', index: 0 }]] },
      'Background Cleanup': { main: [[{ node: 'After Cleanup', type: 'main', index: 0 }]] },
    },
  };
}

/** Read Photos -> each node with one blocked path, each with its error output on. */
function fileAccessWorkflow(inputDir: string, outside: string, n8nFolder: string) {
  const refusing = (name: string, type: string, x: number, parameters: Record<string, unknown>) => ({
    id: `a-${name}`,
    name,
    type: `${PACKAGE_NAME}.${type}`,
    typeVersion: 1,
    position: [440, x],
    onError: 'continueErrorOutput',
    parameters,
  });
  return {
    id: ACCESS_WORKFLOW_ID,
    name: 'File access e2e',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      { id: 'a1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'a2',
        name: 'Read Photos',
        type: 'n8n-nodes-base.readWriteFile',
        typeVersion: 1.1,
        position: [220, 0],
        parameters: { operation: 'read', fileSelector: `${inputDir}/*`, options: {} },
      },
      refusing('Cleanup', 'backgroundCleanup', -240, {
        binaryPropertyName: 'data',
        mode: 'transparent',
        outputBinaryPropertyName: 'data',
        options: { modelPath: `${outside}/model.onnx` },
      }),
      refusing('Replace', 'backgroundReplace', -80, {
        binaryPropertyName: 'data',
        engine: 'sdxl',
        strategy: 'outpaint',
        sdxlModelDir: `${outside}/sdxl`,
        preset: '',
        promptType: '',
        outputBinaryPropertyName: 'data',
        options: {},
      }),
      refusing('Preset', 'backgroundPreset', 80, {
        operation: 'get',
        preset: 'vitrinealu',
        promptType: 'studio',
        options: { presetFile: `${outside}/preset.json` },
      }),
      refusing('Sidecar', 'mediaSidecar', 240, { operation: 'read', rootFolder: n8nFolder, sidecarPath: 'config.json', options: {} }),
    ],
    connections: {
      Start: { main: [[{ node: 'Read Photos', type: 'main', index: 0 }]] },
      'Read Photos': { main: [['Cleanup', 'Replace', 'Preset', 'Sidecar'].map((node) => ({ node, type: 'main', index: 0 }))] },
    },
  };
}

const RUNWAY_WORKFLOW_ID = 'vbgE2eRunway001';
const RUNWAY_CREDENTIAL_ID = 'vbgRunwayLoop01';

function runwayWorkflow(inputDir: string, outputDir: string) {
  return replaceWorkflow(RUNWAY_WORKFLOW_ID, 'Background Replace with Runway e2e', inputDir, outputDir, {
    credentials: { runwayApi: { id: RUNWAY_CREDENTIAL_ID, name: 'Runway (loopback)' } },
    parameters: {
      binaryPropertyName: 'data',
      engine: 'runway',
      strategy: 'backdrop',
      runwayModel: 'gen4_image',
      preset: 'vitrinealu',
      promptType: 'studio',
      outputBinaryPropertyName: 'data',
      options: {},
    },
  });
}

const SDXL_WORKFLOW_ID = 'vbgE2eSdxl00001';

function sdxlWorkflow(inputDir: string, outputDir: string, modelDir: string) {
  return replaceWorkflow(SDXL_WORKFLOW_ID, 'Background Replace with SDXL e2e', inputDir, outputDir, {
    parameters: {
      binaryPropertyName: 'data',
      engine: 'sdxl',
      strategy: 'outpaint',
      sdxlModelDir: modelDir,
      preset: 'vitrinealu',
      promptType: 'garden',
      outputBinaryPropertyName: 'data',
      options: { steps: 6, scheduler: 'euler-ancestral', format: 'png' },
    },
  });
}

/** Manual Trigger -> Read Files -> Background Replace (error output on) -> Write Files | NoOp. */
function replaceWorkflow(
  id: string,
  name: string,
  inputDir: string,
  outputDir: string,
  replace: { parameters: Record<string, unknown>; credentials?: Record<string, unknown> },
) {
  return {
    id,
    name,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      { id: 'r1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'r2',
        name: 'Read Photos',
        type: 'n8n-nodes-base.readWriteFile',
        typeVersion: 1.1,
        position: [220, 0],
        parameters: { operation: 'read', fileSelector: `${inputDir}/*`, options: {} },
      },
      {
        id: 'r3',
        name: 'Background Replace',
        type: `${PACKAGE_NAME}.backgroundReplace`,
        typeVersion: 1,
        position: [440, 0],
        onError: 'continueErrorOutput',
        ...(replace.credentials ? { credentials: replace.credentials } : {}),
        parameters: replace.parameters,
      },
      {
        id: 'r4',
        name: 'Write Replaced',
        type: 'n8n-nodes-base.readWriteFile',
        typeVersion: 1.1,
        position: [660, -80],
        parameters: { operation: 'write', fileName: `=${outputDir}/{{ $binary.data.fileName }}`, dataPropertyName: 'data', options: {} },
      },
      { id: 'r5', name: 'Refused', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [660, 80], parameters: {} },
    ],
    connections: {
      Start: { main: [[{ node: 'Read Photos', type: 'main', index: 0 }]] },
      'Read Photos': { main: [[{ node: 'Background Replace', type: 'main', index: 0 }]] },
      'Background Replace': { main: [[{ node: 'Write Replaced', type: 'main', index: 0 }], [{ node: 'Refused', type: 'main', index: 0 }]] },
    },
  };
}

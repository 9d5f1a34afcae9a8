import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page, selectors } from 'playwright-core';

import { configuredTemplate } from '../../testkit/batchTemplate';
import { REPO_ROOT } from '../../testkit/fixtures';
import { RunwayTestServer } from '../../testkit/runwayServer';
import { createInstance, type N8nInstance, removeWorkDir } from '../../testkit/n8nHarness';
import { freePort, until } from '../../testkit/queueCluster';

/**
 * The nodes in the real n8n editor, in Debian's chromium driven by playwright-core (never a
 * downloaded browser): find each node in the node panel by typing its name, add it, switch
 * through its modes/engines/operations and check the fields that should appear do appear;
 * open the Runway credential dialog and save a credential pointing at the loopback Runway
 * server (n8n runs the credential's test against it); import the bundled template and check every node
 * renders with its icon and none is unknown. Screenshots of each step: docs/editor/ with
 * VBG_UPDATE_SCREENSHOTS=1 (the README shows them). Browser console errors that mention
 * this package fail the test.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// `npm run docs:screenshots` refreshes the README's pictures; a plain test run keeps its own.
const SHOTS = process.env.VBG_UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs', 'editor') : fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-editor-shots-'));
const PACKAGE = '@vitrinealu/n8n-nodes-background';

const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.VBG_REQUIRE_EDITOR_TEST === '1') throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  // Straight to stderr: jest drops the console output of a file whose tests are all skipped.
  process.stderr.write(`\nNOTICE: editor test skipped: ${CHROMIUM} is missing (apt-get install chromium)\n`);
}
const describeEditor = hasChromium ? describe : describe.skip;

interface FieldCheck {
  /** Set this options parameter to the option with this label... */
  set?: { parameter: string; option: string };
  /** ...then these parameters must be shown and these hidden. */
  shown: string[];
  hidden?: string[];
  /** A screenshot of the panel after this check, in docs/editor. */
  shot?: string;
}

const NODES: Array<{ name: string; file: string; checks: FieldCheck[] }> = [
  {
    name: 'Background Cleanup',
    file: 'background-cleanup',
    checks: [
      { shown: ['binaryPropertyName', 'mode', 'outputBinaryPropertyName', 'options'] },
      { set: { parameter: 'mode', option: 'Blur' }, shown: ['blurSigma', 'options'], hidden: ['color'] },
      { set: { parameter: 'mode', option: 'Color' }, shown: ['color'], hidden: ['blurSigma'] },
    ],
  },
  {
    name: 'Background Replace',
    file: 'background-replace',
    checks: [
      { shown: ['engine', 'preset', 'promptType', 'options'], hidden: ['strategy', 'runwayModel', 'sdxlModelDir'] },
      {
        set: { parameter: 'engine', option: 'SDXL (Local, GPU Worker)' },
        shown: ['strategy', 'sdxlModelDir'],
        hidden: ['runwayModel'],
        shot: 'background-replace-sdxl',
      },
      { set: { parameter: 'engine', option: 'Runway (Cloud, Paid)' }, shown: ['strategy', 'runwayModel'], hidden: ['sdxlModelDir'] },
    ],
  },
  {
    name: 'Background Preset',
    file: 'background-preset',
    checks: [{ shown: ['operation', 'preset', 'promptType'] }],
  },
  {
    name: 'Background Worker Health',
    file: 'background-health',
    checks: [{ shown: ['failWhenUnhealthy'] }],
  },
  {
    name: 'Media Sidecar',
    file: 'media-sidecar',
    checks: [
      // Added through its first action (Read); switch through the three operations.
      { set: { parameter: 'operation', option: 'Update' }, shown: ['operation', 'rootFolder', 'sidecarPath', 'outputPath'], hidden: ['sidecarJson'] },
      { set: { parameter: 'operation', option: 'Write' }, shown: ['sidecarJson'], hidden: ['outputPath'] },
      { set: { parameter: 'operation', option: 'Read' }, shown: ['options'], hidden: ['sidecarJson', 'outputPath'] },
    ],
  },
];

describeEditor('the nodes in the n8n editor (chromium)', () => {
  let work: string;
  let instance: N8nInstance;
  let n8nProcess: ChildProcess | undefined;
  let n8nLog = '';
  let base = '';
  let context: BrowserContext;
  let page: Page;
  const packageErrors: string[] = [];
  let runway: RunwayTestServer;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-editor-'));
    runway = await new RunwayTestServer().start();
    instance = createInstance(work);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      ...instance.env,
      N8N_PORT: String(port),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_SECURE_COOKIE: 'false',
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    };
    n8nProcess = spawn(instance.node, [instance.n8nBin, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    n8nProcess.stdout!.on('data', (chunk: Buffer) => (n8nLog += chunk.toString('utf8')));
    n8nProcess.stderr!.on('data', (chunk: Buffer) => (n8nLog += chunk.toString('utf8')));
    await until(
      'the n8n editor',
      async () =>
        fetch(`${base}/rest/settings`).then(
          (r) => r.ok && (r.headers.get('content-type') ?? '').includes('json'),
          () => false,
        ),
      180_000,
    );

    selectors.setTestIdAttribute('data-test-id');
    context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
      viewport: { width: 1440, height: 900 },
    });
    // The owner account, through n8n's REST API; the browser context keeps its session cookie.
    const setup = await context.request.post(`${base}/rest/owner/setup`, {
      data: { email: 'owner@vitrinealu.test', firstName: 'Ada', lastName: 'Owner', password: 'Passw0rd-vitrinealu' },
    });
    expect(setup.status()).toBe(200);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error' && /vitrinealu|background(Cleanup|Replace|Preset|Health)|mediaSidecar|runwayApi/i.test(message.text()))
        packageErrors.push(message.text());
    });
    page.on('pageerror', (error) => {
      if (/vitrinealu|background(Cleanup|Replace|Preset|Health)|mediaSidecar|runwayApi/i.test(`${error.message} ${error.stack}`))
        packageErrors.push(error.message);
    });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 1_500_000);

  afterAll(async () => {
    await context?.close();
    await runway?.close();
    if (n8nProcess && n8nProcess.exitCode === null) n8nProcess.kill('SIGKILL');
    if (process.env.VBG_EDITOR_DEBUG) console.log(n8nLog.slice(-4000));
    removeWorkDir(work);
  });

  // A collection ("Options") shows as its label over an "Add Option" picker; every other parameter as its input.
  const parameter = (name: string): Locator =>
    name === 'options' ? page.getByTestId('ndv').getByText('Options', { exact: true }).first() : page.getByTestId('ndv').getByTestId(`parameter-input-${name}`);

  async function selectOption(name: string, option: string) {
    await parameter(name).click();
    // An option's accessible text is its name followed by its description.
    const escaped = option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await page
      .getByRole('option')
      .filter({ hasText: new RegExp(`^\\s*${escaped}`) })
      .last()
      .click();
  }

  async function addNode(name: string, first: boolean) {
    await page.getByTestId(first ? 'canvas-add-button' : 'node-creator-plus-button').click();
    await page.getByTestId('node-creator-search-bar').fill(name);
    const item = page.getByTestId('node-creator').getByTestId('item-iterator-item').filter({ hasText: name }).first();
    await item.waitFor({ timeout: 15_000 });
    // Our node's icon is in the panel (the SVG served from the package).
    await expect(item.locator('img').first()).toHaveAttributeMatching('src', new RegExp(PACKAGE.replace('/', '.')));
    await item.click();
    // Depending on the node and n8n's panel state, the click adds the node at once, or opens
    // the community node's details ("Add to workflow"), or its action list (the first action
    // adds it). Wait for whichever comes and take it.
    const creator = page.getByTestId('node-creator');
    await until(
      `${name} to open`,
      async () => {
        if (await page.getByTestId('ndv').isVisible()) return true;
        const add = creator.getByRole('button', { name: /Add to workflow/i }).first();
        if (await add.isVisible().catch(() => false)) await add.click();
        else if (
          await creator
            .getByText(/^Actions \(\d+\)/)
            .first()
            .isVisible()
            .catch(() => false)
        )
          await creator.getByTestId('item-iterator-item').first().click();
        return false;
      },
      30_000,
    );
  }

  test('every node is found, added and configured; the Runway credential dialog opens', async () => {
    await page.goto(`${base}/workflow/new`);
    // On failure, the page as it was helps more than any message.
    const failureShot = path.join(REPO_ROOT, 'scratch', 'vbg-editor-failure.png');
    try {
      await configureEveryNode();
    } catch (error) {
      await page.screenshot({ path: failureShot }).catch(() => undefined);
      throw new Error(`${(error as Error).message}\n(screenshot: ${failureShot})`);
    }
    expect(packageErrors).toEqual([]);
  }, 600_000);

  async function configureEveryNode() {
    let first = true;
    for (const node of NODES) {
      await addNode(node.name, first);
      first = false;
      for (const check of node.checks) {
        if (check.set) await selectOption(check.set.parameter, check.set.option);
        for (const name of check.shown) await parameter(name).waitFor({ state: 'visible', timeout: 10_000 });
        for (const name of check.hidden ?? []) expect(await parameter(name).count()).toBe(0);
        if (check.shot) {
          await page.waitForTimeout(600); // let the option list's closing animation finish
          await page.screenshot({ path: path.join(SHOTS, `${check.shot}.png`) });
        }
      }
      await page.screenshot({ path: path.join(SHOTS, `${node.file}.png`) });
      if (node.name === 'Background Replace') {
        // Engine = Runway asks for the credential ("Connect to Runway"): create one from the node.
        await page
          .getByTestId('ndv')
          .getByRole('button', { name: /Connect to Runway|Create new credential|Set up credential/i })
          .first()
          .click();
        const modal = page.getByTestId('editCredential-modal');
        await modal.waitFor({ timeout: 15_000 });
        const dialog = page.getByRole('dialog').filter({ hasText: 'Runway API' }).last();
        for (const field of ['API Key', 'Base URL', 'API Version']) await expect(dialog.getByText(field).first()).toBeVisibleSoon();
        await page.screenshot({ path: path.join(SHOTS, 'runway-credential.png') });
        // Save it pointed at the loopback Runway server: n8n then runs the credential's test
        // (GET /v1/organization with the headers the credential adds).
        await dialog.getByTestId('parameter-input-apiKey').locator('input').fill(runway.apiKey);
        const baseUrl = dialog.getByTestId('parameter-input-baseUrl').locator('input');
        await baseUrl.fill(runway.url);
        await dialog.getByRole('button', { name: /^Save$/ }).click();
        await until('the credential test call', () => runway.log.some((entry) => entry.path === '/v1/organization' && entry.status === 200), 20_000);
        expect(runway.violations).toEqual([]);
        // Saving from the node closes the dialog and selects the new credential.
        if (await modal.isVisible()) await page.keyboard.press('Escape');
        await modal.waitFor({ state: 'hidden', timeout: 10_000 });
      }
      await closeNdv();
    }
  }

  async function closeNdv() {
    // Escape closes an open dropdown first; the panel's own close button closes the panel.
    await page.keyboard.press('Escape');
    if (await page.getByTestId('ndv').isHidden()) return;
    await page.getByTestId('ndv-close-button').click();
    await page.getByTestId('ndv').waitFor({ state: 'hidden', timeout: 10_000 });
  }

  test('the bundled template imports and renders with our icons and no unknown node', async () => {
    const template = configuredTemplate({ mediaApiUrl: 'http://localhost:8090', sidecarRoot: '/media', outputDir: '/media/background' }, 'unused') as Record<
      string,
      unknown
    > & { nodes: Array<{ type: string; name: string }> };
    // A new workflow through the REST API, as the editor's "Import from File" creates it.
    const body = Object.fromEntries(Object.entries(template).filter(([key]) => key !== 'id' && key !== 'active'));
    const created = await context.request.post(`${base}/rest/workflows`, { data: body });
    expect(created.status()).toBe(200);
    const { data } = (await created.json()) as { data: { id: string } };
    await page.goto(`${base}/workflow/${data.id}`);
    const canvasNodes = page.getByTestId('canvas-node');
    await canvasNodes.first().waitFor({ timeout: 30_000 });
    const expected = template.nodes.filter((node) => node.type !== 'n8n-nodes-base.stickyNote');
    await until('every node on the canvas', async () => (await canvasNodes.count()) >= expected.length, 30_000);
    await page
      .getByRole('button', { name: /zoom to fit|fit view/i })
      .first()
      .click()
      .catch(() => page.keyboard.press('1'));
    await page.waitForTimeout(1000);
    const text = (await page.locator('body').innerText()).toLowerCase();
    expect(text).not.toMatch(/not currently installed|install this node|unknown node|node not found/);
    // Our nodes show our icons (loaded images, not the fallback).
    for (const node of expected.filter((n) => n.type.startsWith(PACKAGE))) {
      const icon = canvasNodes.filter({ hasText: node.name }).first().locator('img').first();
      await icon.waitFor({ timeout: 10_000 });
      expect(await icon.getAttribute('src')).toMatch(new RegExp(PACKAGE.replace('/', '.')));
      expect(
        await icon.evaluate(
          (img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0,
        ),
      ).toBe(true);
    }
    await page.screenshot({ path: path.join(SHOTS, 'template-canvas.png') });
    expect(packageErrors).toEqual([]);
  }, 600_000);
});

/** Small waits written once: playwright-core has no test runner's expect. */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toHaveAttributeMatching(attribute: string, pattern: RegExp): Promise<R>;
      toBeVisibleSoon(): Promise<R>;
    }
  }
}
expect.extend({
  async toHaveAttributeMatching(locator: Locator, attribute: string, pattern: RegExp) {
    let value: string | null = null;
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      value = await locator.getAttribute(attribute).catch(() => null);
      if (value && pattern.test(value)) return { pass: true, message: () => `${attribute}=${value} matches ${pattern}` };
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return { pass: false, message: () => `expected ${attribute} to match ${pattern}, got ${value}` };
  },
  async toBeVisibleSoon(locator: Locator) {
    const visible = await locator.waitFor({ state: 'visible', timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    return { pass: visible, message: () => 'expected the element to become visible' };
  },
});

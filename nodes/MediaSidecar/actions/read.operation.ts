import { type IDataObject, type IExecuteFunctions, type INodeProperties, NodeOperationError } from 'n8n-workflow';

import { alreadyProcessed, parseResolvedPreset, plannedProcessing, readSidecar, type SidecarFile, sourceSha256 } from '../../../src/engine';
import type { SidecarTarget } from './router';

export const description: INodeProperties[] = [
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show: { operation: ['read'] } },
    options: [
      {
        displayName: 'Already-Processed Check',
        name: 'checkMode',
        type: 'options',
        default: 'none',
        options: [
          { name: 'None', value: 'none' },
          { name: 'For Background Replace', value: 'replace', description: "Compare with the item's backgroundPreset and the engine below" },
          { name: 'For Background Cleanup', value: 'cleanup', description: 'Compare with the cleanup mode below' },
        ],
        description: 'Sets json.alreadyProcessed: the sidecar records this very image processed with the same settings',
      },
      { displayName: 'Cleanup Mode', name: 'checkCleanupMode', type: 'string', default: 'transparent', description: 'For the cleanup check' },
      {
        displayName: 'Engine',
        name: 'checkEngine',
        type: 'string',
        default: 'studio',
        description: 'For the replace check: the engine Background Replace uses',
      },
      {
        displayName: 'Source Binary Field',
        name: 'sourceBinaryField',
        type: 'string',
        default: 'data',
        description: 'The photo whose sha256 is recorded and compared (json.sourceSha256)',
      },
    ],
  },
];

interface ReadOptions {
  sourceBinaryField?: string;
  checkMode?: 'none' | 'replace' | 'cleanup';
  checkEngine?: string;
  checkCleanupMode?: string;
}

/** Loads the sidecar; records the photo's sha256 and, when asked, whether it is already processed. */
export async function execute(this: IExecuteFunctions, itemIndex: number, target: SidecarTarget, json: IDataObject): Promise<SidecarFile> {
  const item = this.getInputData()[itemIndex];
  const options = this.getNodeParameter('options', itemIndex, {}) as ReadOptions;
  const file = await readSidecar(target.root, target.sidecarPath);
  const field = options.sourceBinaryField ?? 'data';
  if (item.binary?.[field]) json.sourceSha256 = sourceSha256(await this.helpers.getBinaryDataBuffer(itemIndex, field));
  const mode = options.checkMode ?? 'none';
  if (mode !== 'none') {
    if (!json.sourceSha256)
      throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: the already-processed check needs the photo in binary field "${field}"`, { itemIndex });
    const upstream =
      mode === 'replace' && item.json.backgroundPreset !== undefined
        ? parseResolvedPreset(item.json.backgroundPreset, 'backgroundPreset (from the item)')
        : undefined;
    const plan = plannedProcessing(mode, options.checkEngine ?? 'studio', upstream, options.checkCleanupMode);
    json.alreadyProcessed = alreadyProcessed(file.sidecar, json.sourceSha256 as string, plan);
  }
  return file;
}

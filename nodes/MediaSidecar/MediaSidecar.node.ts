import path from 'node:path';
import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
  NodeOperationError,
} from 'n8n-workflow';

import {
  alreadyProcessed,
  backgroundBlockFrom,
  changeSidecar,
  cutoutEdits,
  parseSidecar,
  plannedProcessing,
  readEngineConfig,
  readSidecar,
  type ResolvedPreset,
  type Sidecar,
  type SidecarFile,
  sourceSha256,
  writeSidecar,
} from '../../src/engine';
import { allowedPath } from '../shared/fileAccess';
import { runPerItem } from '../shared/itemRunner';

interface ReadOptions {
  sourceBinaryField?: string;
  checkMode?: 'none' | 'replace' | 'cleanup';
  checkEngine?: string;
  checkCleanupMode?: string;
}

export class MediaSidecar implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Media Sidecar',
    name: 'mediaSidecar',
    icon: { light: 'file:mediaSidecar.svg', dark: 'file:mediaSidecar.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["operation"]}}',
    description: 'Read, update and write the media-ingest sidecar JSON with its background block',
    defaults: { name: 'Media Sidecar' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        default: 'update',
        options: [
          { name: 'Read', value: 'read', action: 'Read a sidecar', description: 'Load the sidecar into the item (json.sidecar), optionally checking whether the photo is already processed' },
          { name: 'Update', value: 'update', action: 'Update the background block', description: "Merge the item's Background Cleanup/Replace result into the sidecar's background block; every other field is kept" },
          { name: 'Write', value: 'write', action: 'Write a whole sidecar', description: 'Write the given JSON as the sidecar (validated)' },
        ],
      },
      {
        displayName: 'Root Folder',
        name: 'rootFolder',
        type: 'string',
        default: '',
        placeholder: '/media/curated',
        description: 'Sidecars are read and written only inside this folder; empty uses MEDIA_SIDECAR_ROOT',
      },
      {
        displayName: 'Sidecar Path',
        name: 'sidecarPath',
        type: 'string',
        default: '={{ $json.sidecarPath }}',
        required: true,
        description: 'Path of the sidecar JSON, relative to the root folder',
      },
      {
        displayName: 'Sidecar JSON',
        name: 'sidecarJson',
        type: 'json',
        default: '={{ JSON.stringify($json.sidecar) }}',
        displayOptions: { show: { operation: ['write'] } },
        description: 'The whole sidecar to write',
      },
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
          { displayName: 'Engine', name: 'checkEngine', type: 'string', default: 'studio', description: 'For the replace check: the engine Background Replace uses' },
          { displayName: 'Source Binary Field', name: 'sourceBinaryField', type: 'string', default: 'data', description: 'The photo whose sha256 is recorded and compared (json.sourceSha256)' },
        ],
      },
      {
        displayName: 'Output Path',
        name: 'outputPath',
        type: 'string',
        default: '',
        displayOptions: { show: { operation: ['update'] } },
        placeholder: '/media/background/photo-replaced.jpg',
        description: "Recorded as background.outJpg (where the result was written); empty records the result's file name",
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const results = await runPerItem(this, async (itemIndex) => {
      const item = this.getInputData()[itemIndex];
      const operation = this.getNodeParameter('operation', itemIndex) as 'read' | 'update' | 'write';
      const rootSetting = (this.getNodeParameter('rootFolder', itemIndex, '') as string).trim() || readEngineConfig().sidecarRoot;
      if (!rootSetting) throw new NodeOperationError(this.getNode(), 'Set the Root Folder (or MEDIA_SIDECAR_ROOT): sidecars are only read and written inside it', { itemIndex });
      const sidecarPath = String(this.getNodeParameter('sidecarPath', itemIndex, '') ?? '').trim();
      if (!sidecarPath) throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: no sidecar path (json.sidecarPath is empty)`, { itemIndex });
      // n8n's file-access rules for the root and the file in it; the store keeps the file inside the root.
      const root = await allowedPath(this, itemIndex, rootSetting, 'Root Folder');
      await allowedPath(this, itemIndex, path.resolve(root, sidecarPath), 'Sidecar Path');
      const json: IDataObject = { ...item.json };
      const seen = typeof item.json.sidecarVersion === 'string' ? item.json.sidecarVersion : undefined;
      let file: SidecarFile;

      if (operation === 'read') {
        const options = this.getNodeParameter('options', itemIndex, {}) as ReadOptions;
        file = await readSidecar(root, sidecarPath);
        const field = options.sourceBinaryField ?? 'data';
        if (item.binary?.[field]) json.sourceSha256 = sourceSha256(await this.helpers.getBinaryDataBuffer(itemIndex, field));
        const mode = options.checkMode ?? 'none';
        if (mode !== 'none') {
          if (!json.sourceSha256) throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: the already-processed check needs the photo in binary field "${field}"`, { itemIndex });
          const plan = plannedProcessing(mode, options.checkEngine ?? 'studio', item.json.backgroundPreset as ResolvedPreset | undefined, options.checkCleanupMode);
          json.alreadyProcessed = alreadyProcessed(file.sidecar, json.sourceSha256 as string, plan);
        }
      } else if (operation === 'update') {
        const background = item.json.background;
        if (!background || typeof background !== 'object') {
          throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: no json.background to record; connect Background Cleanup or Replace before this node`, { itemIndex });
        }
        const source = typeof item.json.sourceSha256 === 'string' ? item.json.sourceSha256 : undefined;
        const block = backgroundBlockFrom(background as Record<string, unknown>, source, (this.getNodeParameter('outputPath', itemIndex, '') as string).trim() || undefined);
        // One locked transaction: the background block and the cut-out's score set in the file as
        // it is now (other fields untouched, byte for byte); when an earlier Read saw the file
        // (json.sidecarVersion), a change on disk since then is refused, never overwritten.
        file = await changeSidecar(
          root,
          sidecarPath,
          (current) => ({ set: [[['background'], block], ...cutoutEdits(current.sidecar, background as Record<string, unknown>, item.json.review)] }),
          seen ? { expectedVersion: seen } : {},
        );
      } else {
        const raw = this.getNodeParameter('sidecarJson', itemIndex);
        let content: unknown = raw;
        if (typeof raw === 'string') {
          try {
            content = JSON.parse(raw);
          } catch (error) {
            throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: Sidecar JSON is not valid JSON: ${(error as Error).message}`, { itemIndex });
          }
        }
        const sidecar: Sidecar = parseSidecar(content, 'Sidecar JSON');
        file = await writeSidecar(root, sidecarPath, sidecar, seen ? { expectedVersion: seen } : {});
      }
      json.sidecar = file.sidecar as IDataObject;
      json.sidecarPath = sidecarPath;
      json.sidecarVersion = file.version;
      return { json, binary: item.binary, pairedItem: { item: itemIndex } };
    });
    return [results];
  }
}

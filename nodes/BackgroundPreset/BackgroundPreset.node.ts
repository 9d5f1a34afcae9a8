import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
  NodeOperationError,
} from 'n8n-workflow';

import { errorMessage, listPresets, loadPresetFile, parsePresetList, type Preset, resolvePreset } from '../../src/engine';
import { allowedOptionalPath } from '../shared/fileAccess';
import { runPerItem } from '../shared/itemRunner';

async function customPresets(ctx: IExecuteFunctions, itemIndex: number): Promise<Preset[]> {
  const options = ctx.getNodeParameter('options', itemIndex, {}) as { customPresets?: string | object; presetFile?: string };
  const fromJson = options.customPresets !== undefined ? parsePresetList(options.customPresets, 'Custom Presets') : [];
  const file = await allowedOptionalPath(ctx, itemIndex, options.presetFile, 'Preset File');
  const fromFile = file ? [loadPresetFile(file)] : [];
  return [...fromJson, ...fromFile];
}

export class BackgroundPreset implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Background Preset',
    name: 'backgroundPreset',
    icon: { light: 'file:backgroundPreset.svg', dark: 'file:backgroundPreset.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle:
      '={{$parameter["operation"] === "list" ? "List presets" : ($parameter["preset"] || "default") + " / " + ($parameter["promptType"] || "default")}}',
    description: 'Brand presets for background replacement: prompts, negative prompt, generation and composite settings',
    defaults: { name: 'Background Preset' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        default: 'get',
        options: [
          {
            name: 'Get',
            value: 'get',
            action: 'Add a preset to each item',
            description: 'Resolve a preset and prompt type and add it to each item as backgroundPreset',
          },
          { name: 'List', value: 'list', action: 'List all presets', description: 'One item per preset and prompt type' },
        ],
      },
      {
        displayName: 'Preset',
        name: 'preset',
        type: 'string',
        default: '',
        placeholder: 'vitrinealu',
        description: 'Preset name; empty uses MEDIA_INGEST_BACKGROUND_PRESET, else vitrinealu',
        displayOptions: { show: { operation: ['get'] } },
      },
      {
        displayName: 'Prompt Type',
        name: 'promptType',
        type: 'string',
        default: '',
        placeholder: 'studio',
        description: 'Studio, garden, minimal or lifestyle for vitrinealu; empty uses MEDIA_INGEST_BACKGROUND_PROMPT_TYPE, else studio',
        displayOptions: { show: { operation: ['get'] } },
      },
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          {
            displayName: 'Custom Presets (JSON)',
            name: 'customPresets',
            type: 'json',
            default: '',
            description: 'A preset object or an array of presets, in the schema described in the README; they join the built-in ones',
          },
          {
            displayName: 'Preset File',
            name: 'presetFile',
            type: 'string',
            default: '',
            placeholder: '/data/presets/acme.json',
            description: 'Path on the worker to a JSON file holding one preset',
          },
        ],
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const operation = this.getNodeParameter('operation', 0) as string;
    if (operation === 'list') {
      let presets: ReturnType<typeof listPresets>;
      try {
        presets = listPresets(await customPresets(this, 0));
      } catch (error) {
        // A refused Preset File is already a NodeOperationError with its message: keep that message.
        throw new NodeOperationError(
          this.getNode(),
          errorMessage(error),
          error instanceof NodeOperationError && error.description ? { description: error.description } : {},
        );
      }
      return [presets.map((preset) => ({ json: preset as unknown as IDataObject, pairedItem: { item: 0 } }))];
    }
    const items = this.getInputData();
    const results = await runPerItem(this, async (itemIndex) => {
      const resolved = resolvePreset({
        name: this.getNodeParameter('preset', itemIndex, '') as string,
        promptType: this.getNodeParameter('promptType', itemIndex, '') as string,
        custom: await customPresets(this, itemIndex),
      });
      const item = items[itemIndex];
      return {
        json: { ...item.json, backgroundPreset: resolved as unknown as IDataObject },
        ...(item.binary ? { binary: item.binary } : {}),
        pairedItem: { item: itemIndex },
      };
    });
    return [results];
  }
}

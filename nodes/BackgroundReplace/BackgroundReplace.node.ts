import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
} from 'n8n-workflow';

import { type EngineContext, parsePresetList, replaceBackground, type ReplaceOptionsInput } from '../../src/engine';
import { allowedOptionalPath } from '../shared/fileAccess';
import { confidenceOutputs, routeByConfidence } from '../shared/confidenceRouting';
import { type HintNodeOptions, hintRequest } from '../shared/subjectHint';
import { outputFileName, readImageInput, runPerItem } from '../shared/itemRunner';
import { replaceProperties } from './description';

/** The Options collection: the engine's options (from its tables), a backdrop from a binary field, presets as JSON text. */
type ReplaceNodeOptions = Omit<ReplaceOptionsInput, 'customPresets' | 'backgroundImage' | 'hint'> & {
  backgroundImageField?: string;
  customPresets?: string | object;
};

export class BackgroundReplace implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Background Replace',
    name: 'backgroundReplace',
    icon: { light: 'file:backgroundReplace.svg', dark: 'file:backgroundReplace.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["engine"] + ": " + ($parameter["promptType"] || "preset")}}',
    description: 'Put the product on a new background (studio backdrop, local SDXL or Runway) with its own pixels, edges and a shadow',
    defaults: { name: 'Background Replace' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: confidenceOutputs,
    credentials: [{ name: 'runwayApi', required: true, displayOptions: { show: { engine: ['runway'] } } }],
    properties: replaceProperties,
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const results = await runPerItem(this, async (itemIndex) => {
      const input = await readImageInput(this, itemIndex);
      const {
        rest: options,
        hint,
        crossCheck,
      } = hintRequest(this.getNodeParameter('options', itemIndex, {}) as ReplaceNodeOptions & HintNodeOptions, input.item);
      const preset = (this.getNodeParameter('preset', itemIndex, '') as string).trim();
      const promptType = (this.getNodeParameter('promptType', itemIndex, '') as string).trim();
      const { backgroundImageField, customPresets, format, ...rest } = options;
      const request: ReplaceOptionsInput = {
        ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== '' && value !== undefined)),
        engine: this.getNodeParameter('engine', itemIndex) as string,
        format: format ?? 'jpeg',
        ...(hint ? { hint } : {}),
        ...(crossCheck ? { crossCheck } : {}),
      };
      // Which preset wins (these, else the item's backgroundPreset, else the env) is the engine's rule.
      if (preset) request.preset = preset;
      if (promptType) request.promptType = promptType;
      if (input.item.json.backgroundPreset !== undefined) request.upstreamPreset = input.item.json.backgroundPreset;
      const modelPath = await allowedOptionalPath(this, itemIndex, request.modelPath, 'Model Path');
      if (modelPath) request.modelPath = modelPath;
      if (customPresets) request.customPresets = parsePresetList(customPresets, 'Custom Presets');
      if (backgroundImageField) {
        this.helpers.assertBinaryData(itemIndex, backgroundImageField);
        request.backgroundImage = await this.helpers.getBinaryDataBuffer(itemIndex, backgroundImageField);
      }
      const context: EngineContext = {
        signal: this.getExecutionCancelSignal?.(),
        log: (message) => this.logger.info(message),
        warn: (message) => this.logger.warn(message),
      };
      if (request.engine === 'sdxl') {
        request.strategy = this.getNodeParameter('strategy', itemIndex, 'outpaint') as ReplaceOptionsInput['strategy'];
        const modelDir = await allowedOptionalPath(this, itemIndex, this.getNodeParameter('sdxlModelDir', itemIndex, '') as string, 'SDXL Model Directory');
        if (modelDir) request.sdxlModelDir = modelDir;
      }
      if (request.engine === 'runway') {
        request.strategy = this.getNodeParameter('strategy', itemIndex, 'backdrop') as ReplaceOptionsInput['strategy'];
        request.runwayModel = this.getNodeParameter('runwayModel', itemIndex, 'gen4_image') as ReplaceOptionsInput['runwayModel'];
        const credentials = await this.getCredentials<{ apiKey: string; baseUrl?: string; apiVersion?: string }>('runwayApi', itemIndex);
        context.credentials = {
          runway: { apiKey: credentials.apiKey, baseUrl: credentials.baseUrl || undefined, apiVersion: credentials.apiVersion || undefined },
        };
      }
      const result = await replaceBackground(input.buffer, request, context);
      const outputField = this.getNodeParameter('outputBinaryPropertyName', itemIndex) as string;
      const fileName = outputFileName(input.fileName, 'replaced', result.extension);
      const binary = await this.helpers.prepareBinaryData(result.data, fileName, result.mimeType);
      return {
        json: { ...input.item.json, background: { ...result.metadata, fileName } as unknown as IDataObject },
        binary: { ...(input.item.binary ?? {}), [outputField]: binary },
        pairedItem: { item: itemIndex },
      };
    });
    return routeByConfidence(this, results);
  }
}

import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
} from 'n8n-workflow';

import { cleanupImage, type CleanupOptionsInput, MODEL_FAMILIES } from '../../src/engine';
import { allowedOptionalPath } from '../shared/fileAccess';
import { confidenceOutputs, confidenceProperties, routeByConfidence } from '../shared/confidenceRouting';
import { seeThroughOptions } from '../shared/seeThrough';
import { type HintNodeOptions, hintRequest, subjectHintOptions } from '../shared/subjectHint';
import { imageProperties, runPerItem, outputFileName, readImageInput } from '../shared/itemRunner';

export class BackgroundCleanup implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Background Cleanup',
    name: 'backgroundCleanup',
    icon: { light: 'file:backgroundCleanup.svg', dark: 'file:backgroundCleanup.dark.svg' },
    group: ['transform'],
    // 2: Blur Sigma and Feather (Px) instead of 1's Blur Radius / Feather Edges (same values, names that
    // say what they are), and See-Through on by default (Gaps), as in Background Replace.
    version: [1, 2],
    defaultVersion: 2,
    subtitle: '={{"Cut-out: " + $parameter["mode"]}}',
    description: 'Cut out the product in a photo: transparent, on a colour, on a blurred background, or the mask alone',
    defaults: { name: 'Background Cleanup' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: confidenceOutputs,
    properties: [
      imageProperties.inputBinaryField,
      {
        displayName: 'Mode',
        name: 'mode',
        type: 'options',
        noDataExpression: true,
        default: 'transparent',
        options: [
          { name: 'Transparent', value: 'transparent', description: 'The subject on a transparent background (PNG or WebP)' },
          { name: 'Color', value: 'color', description: 'The subject on a solid colour' },
          { name: 'Blur', value: 'blur', description: 'The original background, blurred; the subject stays sharp' },
          { name: 'Mask', value: 'mask', description: 'The 8-bit alpha mask alone (white = subject)' },
        ],
      },
      {
        displayName: 'Background Color',
        name: 'color',
        type: 'color',
        default: '#ffffff',
        description: 'Colour behind the subject',
        displayOptions: { show: { mode: ['color'] } },
      },
      {
        displayName: 'Blur Radius (Px)',
        name: 'blurRadius',
        type: 'number',
        default: 0,
        typeOptions: { minValue: 0, maxValue: 500 },
        description: 'Gaussian blur sigma for the background in pixels; 0 picks 1% of the long side',
        displayOptions: { show: { mode: ['blur'], '@version': [1] } },
      },
      {
        displayName: 'Blur Sigma (Px)',
        name: 'blurSigma',
        type: 'number',
        default: 0,
        typeOptions: { minValue: 0, maxValue: 500 },
        description: 'Gaussian blur sigma for the background in pixels; 0 picks 1% of the long side',
        displayOptions: { show: { mode: ['blur'], '@version': [2] } },
      },
      imageProperties.outputBinaryField,
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          {
            displayName: 'Crop Margin (Px)',
            name: 'cropMargin',
            type: 'number',
            default: 0,
            typeOptions: { minValue: 0 },
            description: 'Space kept around the subject when Crop to Subject is on',
          },
          {
            displayName: 'Crop to Subject',
            name: 'crop',
            type: 'boolean',
            default: false,
            description: "Whether to crop the output to the subject's bounding box (plus the margin)",
          },
          {
            displayName: 'Decontaminate Edges',
            name: 'decontaminate',
            type: 'boolean',
            default: true,
            description: 'Whether to estimate the true subject colour on soft edges so no halo of the old background remains',
          },
          {
            displayName: 'Enhance Foreground',
            name: 'enhanceFg',
            type: 'boolean',
            default: false,
            description: "Whether to apply a mild, bounded sharpening and saturation boost to the subject (the old background service's enhanceFg)",
          },
          {
            displayName: 'Feather (Px)',
            name: 'featherPx',
            type: 'number',
            default: 1,
            typeOptions: { minValue: 0, maxValue: 50 },
            description: 'How far the mask edge is softened, in pixels; 0 keeps the model edge as is',
            displayOptions: { show: { '@version': [2] } },
          },
          {
            displayName: 'Feather Edges (Px)',
            name: 'featherEdges',
            type: 'number',
            default: 1,
            typeOptions: { minValue: 0, maxValue: 50 },
            description: 'How far the mask edge is softened, in pixels; 0 keeps the model edge as is',
            displayOptions: { show: { '@version': [1] } },
          },
          imageProperties.format,
          {
            displayName: 'Model Family',
            name: 'modelFamily',
            type: 'options',
            default: '',
            options: [{ name: 'Guess From File Name', value: '' }, ...Object.keys(MODEL_FAMILIES).map((name) => ({ name, value: name }))],
            description: 'How the custom model wants its input and output (as rembg defines the families)',
          },
          {
            displayName: 'Model Path',
            name: 'modelPath',
            type: 'string',
            default: '',
            placeholder: '/models/birefnet-general.onnx',
            description: 'A rembg-compatible ONNX file on the worker; empty uses BG_MODEL_PATH, else the bundled IS-Net weights',
          },
          imageProperties.quality,
          ...seeThroughOptions,
          ...subjectHintOptions,
        ],
      },
      ...confidenceProperties,
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const version = this.getNode().typeVersion;
    const results = await runPerItem(this, async (itemIndex) => {
      const input = await readImageInput(this, itemIndex);
      const mode = this.getNodeParameter('mode', itemIndex) as CleanupOptionsInput['mode'];
      const { rest: given, hint, crossCheck } = hintRequest(this.getNodeParameter('options', itemIndex, {}) as IDataObject & HintNodeOptions, input.item);
      // Version 1 saved the feather as options.featherEdges.
      const { featherEdges, ...options } = given as IDataObject & { featherEdges?: number };
      if (featherEdges !== undefined && options.featherPx === undefined) options.featherPx = featherEdges;
      // See-through came with version 2 (default Gaps); version 1 workflows keep their panes.
      if (version === 1 && options.seeThrough === undefined) options.seeThrough = 'off';
      const request: CleanupOptionsInput = {
        mode,
        ...(mode === 'color' ? { color: this.getNodeParameter('color', itemIndex) as string } : {}),
        ...(mode === 'blur' ? { blurSigma: this.getNodeParameter(version === 1 ? 'blurRadius' : 'blurSigma', itemIndex) as number } : {}),
        ...(options as Partial<CleanupOptionsInput>),
        ...(hint ? { hint } : {}),
        ...(crossCheck ? { crossCheck } : {}),
      };
      const modelPath = await allowedOptionalPath(this, itemIndex, request.modelPath, 'Model Path');
      if (modelPath) request.modelPath = modelPath;
      else delete request.modelPath;
      if (!request.modelFamily) delete request.modelFamily;
      const result = await cleanupImage(input.buffer, request, { signal: this.getExecutionCancelSignal?.(), warn: (message) => this.logger.warn(message) });
      const outputField = this.getNodeParameter('outputBinaryPropertyName', itemIndex) as string;
      const fileName = outputFileName(input.fileName, mode === 'mask' ? 'mask' : 'cutout', result.extension);
      const binary = await this.helpers.prepareBinaryData(result.data, fileName, result.mimeType);
      return {
        json: { ...input.item.json, background: { ...result.metadata, fileName } } as IDataObject,
        binary: { ...(input.item.binary ?? {}), [outputField]: binary },
        pairedItem: { item: itemIndex },
      };
    });
    return routeByConfidence(this, results);
  }
}

import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
} from 'n8n-workflow';

import { type EngineContext, MODEL_FAMILIES, parsePresetList, replaceBackground, type ReplaceOptionsInput } from '../../src/engine';
import { allowedOptionalPath } from '../shared/fileAccess';
import { confidenceOutputs, confidenceProperties, routeByConfidence } from '../shared/confidenceRouting';
import { type HintNodeOptions, hintRequest, subjectHintOptions } from '../shared/subjectHint';
import { imageProperties, outputFileName, readImageInput, runPerItem } from '../shared/itemRunner';

interface ReplaceNodeOptions {
  inputIs?: 'auto' | 'cutout' | 'photo';
  prompt?: string;
  negativePrompt?: string;
  steps?: number;
  guidanceScale?: number;
  seed?: number;
  backgroundColor?: string;
  backgroundImageField?: string;
  backgroundFit?: 'cover' | 'contain';
  outputSize?: string;
  aspectRatio?: string;
  padding?: string;
  anchor?: 'center' | 'bottom';
  shadow?: ReplaceOptionsInput['shadow'];
  matchColors?: boolean;
  enhanceFg?: boolean;
  featherEdges?: boolean;
  decontaminate?: boolean;
  seeThrough?: 'off' | 'gaps' | 'glass';
  glassOpacity?: number;
  glassTint?: string;
  format?: 'png' | 'webp' | 'jpeg';
  quality?: number;
  customPresets?: string | object;
  modelPath?: string;
  modelFamily?: string;
  scheduler?: ReplaceOptionsInput['scheduler'];
  strength?: number;
  guidanceRescale?: number;
}

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
    properties: [
      imageProperties.inputBinaryField,
      {
        displayName: 'Engine',
        name: 'engine',
        type: 'options',
        noDataExpression: true,
        default: 'studio',
        options: [
          { name: 'Studio (Deterministic, No Model)', value: 'studio', description: "Renders the preset's studio backdrop: same result every run" },
          { name: 'SDXL (Local, GPU Worker)', value: 'sdxl', description: "Stable Diffusion XL from an ONNX export on this worker (SDXL_MODEL_DIR), on its GPU with CUDA 12, else CPU" },
          { name: 'Runway (Cloud, Paid)', value: 'runway', description: "Runway's gen4_image paints the scene from the preset's prompt (about 5-8 credits per image)" },
        ],
      },
      {
        displayName: 'Strategy',
        name: 'strategy',
        type: 'options',
        noDataExpression: true,
        displayOptions: { show: { engine: ['sdxl'] } },
        default: 'outpaint',
        options: [
          { name: 'Outpaint (Product in Place)', value: 'outpaint', description: 'SDXL repaints everything around the product where it stands; the original product is composited back exactly' },
          { name: 'Backdrop (Empty Scene)', value: 'backdrop', description: 'SDXL paints the empty scene from the prompt; the product is placed on it with its own pixels and a shadow' },
        ],
      },
      {
        displayName: 'SDXL Model Directory',
        name: 'sdxlModelDir',
        type: 'string',
        displayOptions: { show: { engine: ['sdxl'] } },
        default: '',
        placeholder: '/models/sdxl-base-onnx',
        description: "Folder of an Optimum ONNX export of SDXL (model_index.json, unet/, vae_decoder/...); empty uses SDXL_MODEL_DIR",
      },
      {
        displayName: 'Strategy',
        name: 'strategy',
        type: 'options',
        noDataExpression: true,
        displayOptions: { show: { engine: ['runway'] } },
        default: 'backdrop',
        options: [
          { name: 'Backdrop (Product Pixels Exact)', value: 'backdrop', description: 'Runway paints only the empty scene; the original product is composited on it with its own pixels and a shadow' },
          { name: 'Creative (Product Regenerated)', value: 'creative', description: "The cut-out is sent as a reference image and Runway's whole picture is returned: the product is redrawn by the model and may differ from the photo" },
        ],
      },
      {
        displayName: 'Runway Model',
        name: 'runwayModel',
        type: 'options',
        displayOptions: { show: { engine: ['runway'] } },
        default: 'gen4_image',
        options: [
          { name: 'Gen-4 Image', value: 'gen4_image', description: 'About 5 credits at 720p, 8 at 1080p' },
          { name: 'Gen-4 Image Turbo (Creative Only)', value: 'gen4_image_turbo', description: 'About 2 credits; needs the cut-out as a reference, so only with the creative strategy' },
        ],
      },
      {
        displayName: 'Preset',
        name: 'preset',
        type: 'string',
        default: '',
        placeholder: 'vitrinealu',
        description: 'Preset name; empty uses the item\'s backgroundPreset (from a Background Preset node), then MEDIA_INGEST_BACKGROUND_PRESET, then vitrinealu',
      },
      {
        displayName: 'Prompt Type',
        name: 'promptType',
        type: 'string',
        default: '',
        placeholder: 'studio',
        description: 'Studio, garden, minimal or lifestyle; empty uses the item\'s preset, then MEDIA_INGEST_BACKGROUND_PROMPT_TYPE, then studio',
      },
      imageProperties.outputBinaryField,
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          { displayName: 'Anchor', name: 'anchor', type: 'options', default: 'bottom', options: [{ name: 'Bottom (on the Floor)', value: 'bottom' }, { name: 'Center', value: 'center' }], description: 'Where the subject sits when the layout changes (output size, ratio or padding)' },
          { displayName: 'Aspect Ratio', name: 'aspectRatio', type: 'string', default: '', placeholder: '4:5', description: 'Output ratio W:H; the photo\'s long side is kept' },
          { displayName: 'Background Color', name: 'backgroundColor', type: 'color', default: '', description: 'A flat colour instead of the engine\'s backdrop' },
          { displayName: 'Background Image Field', name: 'backgroundImageField', type: 'string', default: '', placeholder: 'backdrop', description: 'Binary property holding an image to use as the backdrop' },
          { displayName: 'Background Image Fit', name: 'backgroundFit', type: 'options', default: 'cover', options: [{ name: 'Cover', value: 'cover' }, { name: 'Contain', value: 'contain' }], description: 'How the backdrop image fills the output' },
          { displayName: 'Custom Presets (JSON)', name: 'customPresets', type: 'json', default: '', description: 'A preset object or an array of presets that join the built-in ones' },
          { displayName: 'Decontaminate Edges', name: 'decontaminate', type: 'boolean', default: true, description: 'Whether to remove the old background\'s colour from soft edges' },
          { displayName: 'Enhance Foreground', name: 'enhanceFg', type: 'boolean', default: true, description: 'Whether to apply the mild, bounded enhancement (default from the preset)' },
          { displayName: 'Feather Edges', name: 'featherEdges', type: 'boolean', default: true, description: 'Whether to soften the edge by about 1 px (default from the preset)' },
          imageProperties.format,
          { displayName: 'Glass Opacity', name: 'glassOpacity', type: 'number', default: 0.15, typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 }, description: 'With See-Through = Glass: how opaque the panes stay (0 = clear)' },
          { displayName: 'Glass Tint', name: 'glassTint', type: 'color', default: '#e2eaee', description: 'With See-Through = Glass: the colour of the panes' },
          { displayName: 'Guidance Rescale', name: 'guidanceRescale', type: 'number', default: 0, typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 }, displayOptions: { show: { '/engine': ['sdxl'] } }, description: 'SDXL: pulls high-guidance results back toward natural contrast (0 = off, 0.7 is common)' },
          { displayName: 'Guidance Scale', name: 'guidanceScale', type: 'number', default: 7.5, typeOptions: { minValue: 0, maxValue: 30 }, description: 'For generative engines; recorded in the metadata' },
          { displayName: 'Match Colors', name: 'matchColors', type: 'boolean', default: true, description: 'Whether to move the subject\'s colours a bounded amount toward the backdrop\'s light (default from the preset)' },
          {
            displayName: 'Model Family',
            name: 'modelFamily',
            type: 'options',
            default: '',
            options: [{ name: 'Guess From File Name', value: '' }, ...Object.keys(MODEL_FAMILIES).map((name) => ({ name, value: name }))],
            description: 'How a custom segmentation model wants its input and output',
          },
          {
            displayName: 'Input Is',
            name: 'inputIs',
            type: 'options',
            default: 'auto',
            options: [
              { name: 'Auto', value: 'auto', description: 'A cut-out (part of it fully transparent, an opaque subject) keeps its alpha; anything else is segmented' },
              { name: 'Cut-Out', value: 'cutout', description: "Always use the image's alpha as the subject's (from Background Cleanup)" },
              { name: 'Photo', value: 'photo', description: 'Always segment, whatever alpha the image has' },
            ],
            description: 'Whether the input is a finished cut-out or a photo to segment',
          },
          { displayName: 'Model Path', name: 'modelPath', type: 'string', default: '', description: 'A rembg-compatible ONNX file for the cut-out (raw photos only)' },
          { displayName: 'Negative Prompt', name: 'negativePrompt', type: 'string', default: '', description: 'Overrides the preset\'s negative prompt (generative engines)' },
          { displayName: 'Output Size', name: 'outputSize', type: 'string', default: '', placeholder: '2000x2000', description: 'Output WIDTHxHEIGHT; the subject is scaled to fit inside the padding' },
          { displayName: 'Padding', name: 'padding', type: 'string', default: '', placeholder: '10%', description: 'Space around the subject: pixels (40) or percent of each side (10%)' },
          { displayName: 'Prompt', name: 'prompt', type: 'string', default: '', description: 'Overrides the preset\'s prompt (generative engines; recorded in the metadata)' },
          imageProperties.quality,
          {
            displayName: 'Scheduler',
            name: 'scheduler',
            type: 'options',
            default: 'euler',
            displayOptions: { show: { '/engine': ['sdxl'] } },
            options: [
              { name: 'Euler (SDXL Default)', value: 'euler' },
              { name: 'Euler Ancestral', value: 'euler-ancestral' },
              { name: 'DPM++ 2M Karras', value: 'dpmpp-2m-karras' },
            ],
            description: 'SDXL sampler (default from SDXL_SCHEDULER)',
          },
          { displayName: 'Seed', name: 'seed', type: 'number', default: 0, description: 'Fixed seed for generative engines (default: the preset\'s seed policy)' },
          {
            displayName: 'See-Through',
            name: 'seeThrough',
            type: 'options',
            default: 'gaps',
            options: [
              { name: 'Gaps (Open Panes)', value: 'gaps', description: 'Regions inside the frame that show the old background become transparent' },
              { name: 'Glass', value: 'glass', description: 'Those regions become faintly tinted glass' },
              { name: 'Off', value: 'off' },
            ],
            description: 'Windows, doors and pergolas: what to do with panes and gaps through which the old background shows',
          },
          {
            displayName: 'Shadow',
            name: 'shadow',
            type: 'options',
            default: 'preset',
            options: [
              { name: 'From Preset', value: 'preset' },
              { name: 'None', value: 'none' },
              { name: 'Contact', value: 'contact' },
              { name: 'Drop', value: 'drop' },
              { name: 'Contact and Drop', value: 'both' },
            ],
            description: 'Shadow drawn from the subject\'s alpha under it',
          },
          { displayName: 'Strength', name: 'strength', type: 'number', default: 1, typeOptions: { minValue: 0.01, maxValue: 1, numberPrecision: 2 }, displayOptions: { show: { '/engine': ['sdxl'] } }, description: "SDXL outpaint: 1 paints the scene from noise; lower keeps the preset's studio floor and wall as the layout" },
          ...subjectHintOptions,
          { displayName: 'Steps', name: 'steps', type: 'number', default: 25, typeOptions: { minValue: 1, maxValue: 150 }, description: 'For generative engines; recorded in the metadata' },
        ],
      },
      ...confidenceProperties,
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const results = await runPerItem(this, async (itemIndex) => {
      const input = await readImageInput(this, itemIndex);
      const { rest: options, hint, crossCheck } = hintRequest(this.getNodeParameter('options', itemIndex, {}) as ReplaceNodeOptions & HintNodeOptions, input.item);
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
        context.credentials = { runway: { apiKey: credentials.apiKey, baseUrl: credentials.baseUrl || undefined, apiVersion: credentials.apiVersion || undefined } };
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

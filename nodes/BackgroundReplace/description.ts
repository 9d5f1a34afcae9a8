import type { INodeProperties } from 'n8n-workflow';

import { REPLACE_FILE_OPTIONS, SUBJECT_OPTIONS } from '../../src/engine';
import { confidenceProperties } from '../shared/confidenceRouting';
import { imageProperties } from '../shared/itemRunner';
import { optionProperties } from '../shared/optionProperties';
import { seeThroughOptions } from '../shared/seeThrough';
import { subjectHintOptions } from '../shared/subjectHint';

/** Background Replace's parameters, in groups; the node file keeps only what it does with them. */

/** The engine and its own settings (SDXL: strategy and model folder; Runway: strategy and model). */
const engineProperties: INodeProperties[] = [
  {
    displayName: 'Engine',
    name: 'engine',
    type: 'options',
    noDataExpression: true,
    default: 'studio',
    options: [
      { name: 'Studio (Deterministic, No Model)', value: 'studio', description: "Renders the preset's studio backdrop: same result every run" },
      {
        name: 'SDXL (Local, GPU Worker)',
        value: 'sdxl',
        description: 'Stable Diffusion XL from an ONNX export on this worker (SDXL_MODEL_DIR), on its GPU with CUDA 12, else CPU',
      },
      {
        name: 'Runway (Cloud, Paid)',
        value: 'runway',
        description: "Runway's gen4_image paints the scene from the preset's prompt (about 5-8 credits per image)",
      },
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
      {
        name: 'Outpaint (Product in Place)',
        value: 'outpaint',
        description: 'SDXL repaints everything around the product where it stands; the original product is composited back exactly',
      },
      {
        name: 'Backdrop (Empty Scene)',
        value: 'backdrop',
        description: 'SDXL paints the empty scene from the prompt; the product is placed on it with its own pixels and a shadow',
      },
    ],
  },
  {
    displayName: 'SDXL Model Directory',
    name: 'sdxlModelDir',
    type: 'string',
    displayOptions: { show: { engine: ['sdxl'] } },
    default: '',
    placeholder: '/models/sdxl-base-onnx',
    description: 'Folder of an Optimum ONNX export of SDXL (model_index.json, unet/, vae_decoder/...); empty uses SDXL_MODEL_DIR',
  },
  {
    displayName: 'Strategy',
    name: 'strategy',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { engine: ['runway'] } },
    default: 'backdrop',
    options: [
      {
        name: 'Backdrop (Product Pixels Exact)',
        value: 'backdrop',
        description: 'Runway paints only the empty scene; the original product is composited on it with its own pixels and a shadow',
      },
      {
        name: 'Creative (Product Regenerated)',
        value: 'creative',
        description:
          "The cut-out is sent as a reference image and Runway's whole picture is returned: the product is redrawn by the model and may differ from the photo",
      },
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
      {
        name: 'Gen-4 Image Turbo (Creative Only)',
        value: 'gen4_image_turbo',
        description: 'About 2 credits; needs the cut-out as a reference, so only with the creative strategy',
      },
    ],
  },
];

/** Which preset and prompt type; empty falls back to the item's, then the environment's. */
const presetProperties: INodeProperties[] = [
  {
    displayName: 'Preset',
    name: 'preset',
    type: 'string',
    default: '',
    placeholder: 'vitrinealu',
    description: "Preset name; empty uses the item's backgroundPreset (from a Background Preset node), then MEDIA_INGEST_BACKGROUND_PRESET, then vitrinealu",
  },
  {
    displayName: 'Prompt Type',
    name: 'promptType',
    type: 'string',
    default: '',
    placeholder: 'studio',
    description: "Studio, garden, minimal or lifestyle; empty uses the item's preset, then MEDIA_INGEST_BACKGROUND_PROMPT_TYPE, then studio",
  },
];

/** Where the subject sits in the output and its shadow. */
const layoutOptions: INodeProperties[] = [
  {
    displayName: 'Anchor',
    name: 'anchor',
    type: 'options',
    default: 'bottom',
    options: [
      { name: 'Bottom (on the Floor)', value: 'bottom' },
      { name: 'Center', value: 'center' },
    ],
    description: 'Where the subject sits when the layout changes (output size, ratio or padding)',
  },
  {
    displayName: 'Aspect Ratio',
    name: 'aspectRatio',
    type: 'string',
    default: '',
    placeholder: '4:5',
    description: "Output ratio W:H; the photo's long side is kept",
  },
  {
    displayName: 'Output Size',
    name: 'outputSize',
    type: 'string',
    default: '',
    placeholder: '2000x2000',
    description: 'Output WIDTHxHEIGHT; the subject is scaled to fit inside the padding',
  },
  {
    displayName: 'Padding',
    name: 'padding',
    type: 'string',
    default: '',
    placeholder: '10%',
    description: 'Space around the subject: pixels (40) or percent of each side (10%)',
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
    description: "Shadow drawn from the subject's alpha under it",
  },
];

/** A backdrop given instead of the engine's. */
const backdropOptions: INodeProperties[] = [
  { displayName: 'Background Color', name: 'backgroundColor', type: 'color', default: '', description: "A flat colour instead of the engine's backdrop" },
  {
    displayName: 'Background Image Field',
    name: 'backgroundImageField',
    type: 'string',
    default: '',
    placeholder: 'backdrop',
    description: 'Binary property holding an image to use as the backdrop',
  },
  {
    displayName: 'Background Image Fit',
    name: 'backgroundFit',
    type: 'options',
    default: 'cover',
    options: [
      { name: 'Cover', value: 'cover' },
      { name: 'Contain', value: 'contain' },
    ],
    description: 'How the backdrop image fills the output',
  },
];

/** Generative engines: prompt, sampling, the preset's overrides. */
const generationOptions: INodeProperties[] = [
  {
    displayName: 'Custom Presets (JSON)',
    name: 'customPresets',
    type: 'json',
    default: '',
    description: 'A preset object or an array of presets that join the built-in ones',
  },
  {
    displayName: 'Prompt',
    name: 'prompt',
    type: 'string',
    default: '',
    description: "Overrides the preset's prompt (generative engines; recorded in the metadata)",
  },
  {
    displayName: 'Negative Prompt',
    name: 'negativePrompt',
    type: 'string',
    default: '',
    description: "Overrides the preset's negative prompt (generative engines)",
  },
  {
    displayName: 'Steps',
    name: 'steps',
    type: 'number',
    default: 25,
    typeOptions: { minValue: 1, maxValue: 150 },
    description: 'For generative engines; recorded in the metadata',
  },
  {
    displayName: 'Guidance Scale',
    name: 'guidanceScale',
    type: 'number',
    default: 7.5,
    typeOptions: { minValue: 0, maxValue: 30 },
    description: 'For generative engines; recorded in the metadata',
  },
  { displayName: 'Seed', name: 'seed', type: 'number', default: 0, description: "Fixed seed for generative engines (default: the preset's seed policy)" },
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
  {
    displayName: 'Strength',
    name: 'strength',
    type: 'number',
    default: 1,
    typeOptions: { minValue: 0.01, maxValue: 1, numberPrecision: 2 },
    displayOptions: { show: { '/engine': ['sdxl'] } },
    description: "SDXL outpaint: 1 paints the scene from noise; lower keeps the preset's studio floor and wall as the layout",
  },
  {
    displayName: 'Guidance Rescale',
    name: 'guidanceRescale',
    type: 'number',
    default: 0,
    typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
    displayOptions: { show: { '/engine': ['sdxl'] } },
    description: 'SDXL: pulls high-guidance results back toward natural contrast (0 = off, 0.7 is common)',
  },
];

/** How the subject is cut out and blended (see-through, edges, colours). */
const cutoutOptions: INodeProperties[] = [
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
  {
    displayName: 'Decontaminate Edges',
    name: 'decontaminate',
    type: 'boolean',
    default: true,
    description: "Whether to remove the old background's colour from soft edges",
  },
  {
    displayName: 'Enhance Foreground',
    name: 'enhanceFg',
    type: 'boolean',
    default: true,
    description: 'Whether to apply the mild, bounded enhancement (default from the preset)',
  },
  {
    displayName: 'Feather Edges',
    name: 'featherEdges',
    type: 'boolean',
    default: true,
    description: 'Whether to soften the edge by about 1 px (default from the preset)',
  },
  {
    displayName: 'Match Colors',
    name: 'matchColors',
    type: 'boolean',
    default: true,
    description: "Whether to move the subject's colours a bounded amount toward the backdrop's light (default from the preset)",
  },
  ...optionProperties(SUBJECT_OPTIONS, ['modelPath', 'modelFamily']),
  ...seeThroughOptions,
  ...subjectHintOptions,
];

/** The file written. */
const outputOptions: INodeProperties[] = optionProperties(REPLACE_FILE_OPTIONS, ['format', 'quality']);

/** The Options collection, sorted by display name as n8n lists them. */
const options: INodeProperties[] = [...layoutOptions, ...backdropOptions, ...generationOptions, ...cutoutOptions, ...outputOptions].sort((a, b) =>
  a.displayName.localeCompare(b.displayName),
);

export const replaceProperties: INodeProperties[] = [
  imageProperties.inputBinaryField,
  ...engineProperties,
  ...presetProperties,
  imageProperties.outputBinaryField,
  { displayName: 'Options', name: 'options', type: 'collection', placeholder: 'Add Option', default: {}, options },
  ...confidenceProperties,
];

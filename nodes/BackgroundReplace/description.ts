import type { INodeProperties } from 'n8n-workflow';

import { BLEND_OPTIONS, GENERATION_OPTIONS, LAYOUT_OPTIONS, REPLACE_FILE_OPTIONS, SUBJECT_OPTIONS } from '../../src/engine';
import { confidenceProperties } from '../shared/confidenceRouting';
import { imageProperties } from '../shared/itemRunner';
import { optionProperties, optionProperty } from '../shared/optionProperties';
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
  optionProperty(GENERATION_OPTIONS, 'sdxlModelDir', { displayOptions: { show: { engine: ['sdxl'] } } }),
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
  optionProperty(GENERATION_OPTIONS, 'runwayModel', { displayOptions: { show: { engine: ['runway'] } } }),
];

/** Which preset and prompt type; empty falls back to the item's, then the environment's. */
const presetProperties: INodeProperties[] = optionProperties(GENERATION_OPTIONS, ['preset', 'promptType']);

/** Where the subject sits in the output and its shadow. */
const layoutOptions: INodeProperties[] = optionProperties(LAYOUT_OPTIONS, [
  'anchor',
  'aspectRatio',
  'horizontalAlign',
  'maxHeight',
  'maxWidth',
  'outputSize',
  'padding',
  'shadow',
  'shadowAngle',
  'shadowDistance',
  'shadowIntensity',
  'shadowSoftness',
  'subjectScale',
]);

/** A backdrop given instead of the engine's. */
const backdropOptions: INodeProperties[] = [
  optionProperty(LAYOUT_OPTIONS, 'backgroundColor'),
  {
    displayName: 'Background Image Field',
    name: 'backgroundImageField',
    type: 'string',
    default: '',
    placeholder: 'backdrop',
    description: 'Binary property holding an image to use as the backdrop',
  },
  optionProperty(LAYOUT_OPTIONS, 'backgroundFit'),
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
  ...optionProperties(GENERATION_OPTIONS, ['prompt', 'negativePrompt', 'steps', 'guidanceScale', 'seed']),
  optionProperty(GENERATION_OPTIONS, 'scheduler', { displayOptions: { show: { '/engine': ['sdxl'] } } }),
  optionProperty(GENERATION_OPTIONS, 'strength', { displayOptions: { show: { '/engine': ['sdxl'] } } }),
  optionProperty(GENERATION_OPTIONS, 'guidanceRescale', { displayOptions: { show: { '/engine': ['sdxl'] } } }),
];

/** How the subject is cut out and blended (see-through, edges, colours). */
const cutoutOptions: INodeProperties[] = [
  ...optionProperties(BLEND_OPTIONS, ['inputIs', 'decontaminate', 'enhanceFg', 'featherEdges', 'matchColors']),
  ...optionProperties(SUBJECT_OPTIONS, ['modelPath', 'modelFamily']),
  ...seeThroughOptions,
  ...subjectHintOptions,
];

/** The file written. */
const outputOptions: INodeProperties[] = optionProperties(REPLACE_FILE_OPTIONS, ['format', 'metadata', 'quality']);

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

import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
} from 'n8n-workflow';

import { CLEANUP_OPTIONS, cleanupImage, type CleanupOptionsInput, SUBJECT_OPTIONS } from '../../src/engine';
import { allowedOptionalPath } from '../shared/fileAccess';
import { confidenceOutputs, confidenceProperties, routeByConfidence } from '../shared/confidenceRouting';
import { optionProperties, optionProperty, versionedOptionProperties } from '../shared/optionProperties';
import { seeThroughOptions } from '../shared/seeThrough';
import { type HintNodeOptions, hintRequest, subjectHintOptions } from '../shared/subjectHint';
import { imageProperties, runPerItem, outputFileName, readImageInput } from '../shared/itemRunner';

/** 2: Blur Sigma and Feather (Px) instead of 1's Blur Radius / Feather Edges (same values, names that
 * say what they are), and See-Through on by default (Gaps), as in Background Replace. */
const VERSIONS = [1, 2];

export class BackgroundCleanup implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Background Cleanup',
    name: 'backgroundCleanup',
    icon: { light: 'file:backgroundCleanup.svg', dark: 'file:backgroundCleanup.dark.svg' },
    group: ['transform'],
    version: VERSIONS,
    defaultVersion: 2,
    subtitle: '={{"Cut-out: " + $parameter["mode"]}}',
    description: 'Cut out the product in a photo: transparent, on a colour, on a blurred background, or the mask alone',
    defaults: { name: 'Background Cleanup' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: confidenceOutputs,
    properties: [
      imageProperties.inputBinaryField,
      optionProperty(CLEANUP_OPTIONS, 'mode', { noDataExpression: true }),
      optionProperty(CLEANUP_OPTIONS, 'color', { displayOptions: { show: { mode: ['color'] } } }),
      ...versionedOptionProperties(CLEANUP_OPTIONS, 'blurSigma', VERSIONS, { displayOptions: { show: { mode: ['blur'] } } }),
      optionProperty(CLEANUP_OPTIONS, 'blurType', { displayOptions: { show: { mode: ['blur'] } } }),
      imageProperties.outputBinaryField,
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          ...optionProperties(CLEANUP_OPTIONS, ['cropMargin', 'crop', 'decontaminate', 'enhanceFg']),
          ...versionedOptionProperties(CLEANUP_OPTIONS, 'featherPx', VERSIONS),
          optionProperty(CLEANUP_OPTIONS, 'format'),
          optionProperty(CLEANUP_OPTIONS, 'metadata'),
          ...optionProperties(SUBJECT_OPTIONS, ['modelFamily', 'modelPath']),
          optionProperty(CLEANUP_OPTIONS, 'quality'),
          ...optionProperties(CLEANUP_OPTIONS, ['outputSize', 'aspectRatio', 'padding', 'subjectScale', 'horizontalAlign', 'anchor', 'maxWidth', 'maxHeight']),
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
        ...(mode === 'blur'
          ? {
              blurSigma: this.getNodeParameter(version === 1 ? 'blurRadius' : 'blurSigma', itemIndex) as number,
              blurType: this.getNodeParameter('blurType', itemIndex, 'gaussian') as CleanupOptionsInput['blurType'],
            }
          : {}),
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

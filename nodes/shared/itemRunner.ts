import path from 'node:path';
import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeProperties,
  type JsonObject,
  NodeApiError,
  NodeOperationError,
} from 'n8n-workflow';

import { errorMessage, isEngineError, mapWithConcurrency, readEngineConfig } from '../../src/engine';

/** Parameters every image node shares, declared once. */
export const imageProperties = {
  inputBinaryField: {
    displayName: 'Input Binary Field',
    name: 'binaryPropertyName',
    type: 'string',
    default: 'data',
    required: true,
    description: 'Name of the binary property that holds the photo',
  } satisfies INodeProperties,
  outputBinaryField: {
    displayName: 'Output Binary Field',
    name: 'outputBinaryPropertyName',
    type: 'string',
    default: 'data',
    required: true,
    description: 'Name of the binary property to write the result to (the same name replaces the input)',
  } satisfies INodeProperties,
};

export interface ImageInput {
  item: INodeExecutionData;
  buffer: Buffer;
  fileName: string;
}

/** Reads an item's photo through n8n's binary helpers (works in filesystem and database modes). */
export async function readImageInput(ctx: IExecuteFunctions, itemIndex: number): Promise<ImageInput> {
  const field = ctx.getNodeParameter('binaryPropertyName', itemIndex) as string;
  const binary = ctx.helpers.assertBinaryData(itemIndex, field);
  const buffer = await ctx.helpers.getBinaryDataBuffer(itemIndex, field);
  return { item: ctx.getInputData()[itemIndex], buffer, fileName: binary.fileName ?? `item-${itemIndex}` };
}

/** photo.jpg + "cutout" + "png" -> photo-cutout.png */
export function outputFileName(inputName: string, suffix: string, extension: string): string {
  const base = path.basename(inputName, path.extname(inputName)) || 'image';
  return `${base}-${suffix}.${extension}`;
}

function itemFileName(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
  const item = ctx.getInputData()[itemIndex];
  try {
    const field = ctx.getNodeParameter('binaryPropertyName', itemIndex) as string;
    return item?.binary?.[field]?.fileName;
  } catch {
    return undefined;
  }
}

function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeOperationError | NodeApiError {
  const fileName = itemFileName(ctx, itemIndex);
  if (error instanceof NodeOperationError || error instanceof NodeApiError) {
    error.context.itemIndex ??= itemIndex;
    return error;
  }
  const where = fileName ? `Item ${itemIndex} (${fileName})` : `Item ${itemIndex}`;
  const message = `${where}: ${errorMessage(error)}`;
  if (isEngineError(error) && error.isApiError) {
    // A remote engine's failure (Runway): n8n shows it as an API error with its HTTP status.
    const httpCode = error.httpCode !== undefined ? String(error.httpCode) : undefined;
    return new NodeApiError(ctx.getNode(), { message: error.message, code: error.code, ...(httpCode ? { httpCode } : {}) } as JsonObject, {
      message,
      description: `Error code ${error.code}`,
      httpCode,
      itemIndex,
    });
  }
  const description = isEngineError(error) ? `Error code ${error.code}` : undefined;
  return new NodeOperationError(ctx.getNode(), message, { itemIndex, description });
}

/** What a failed item carries besides its input: the message in `error`, the rest in `details`. */
export interface ItemErrorDetails extends IDataObject {
  itemIndex: number;
  fileName?: string;
  /** The engine's stable code (INPUT_CORRUPT, API_MODERATION, ...). */
  errorCode?: string;
  httpCode?: string;
  description?: string;
}

/** True for the error items runPerItem makes (a failed item continuing through the main output). */
export function isErrorItem(item: INodeExecutionData): boolean {
  return typeof item.json.error === 'string' && typeof item.json.details === 'object' && item.json.details !== null;
}

/**
 * The item a failure continues as. n8n replaces the JSON of any item carrying `item.error`
 * with `{ error }` (WorkflowExecute.normalizeNodeErrors), so the input JSON would be lost:
 * instead the item keeps its binary and pairedItem, and its JSON holds only the keys n8n
 * recognises as an error item (`error`, `details`) when the node routes errors to its error
 * output (n8n then merges the paired input JSON back in), or the input JSON plus those two
 * when errors continue through the main output.
 */
function errorItem(ctx: IExecuteFunctions, itemIndex: number, error: unknown, nodeError: NodeOperationError | NodeApiError): INodeExecutionData {
  const item = ctx.getInputData()[itemIndex];
  const fileName = itemFileName(ctx, itemIndex);
  const details: ItemErrorDetails = {
    itemIndex,
    ...(fileName ? { fileName } : {}),
    ...(isEngineError(error) ? { errorCode: error.code } : {}),
    ...(isEngineError(error) && error.httpCode !== undefined ? { httpCode: String(error.httpCode) } : {}),
    ...(nodeError.description ? { description: nodeError.description } : {}),
  };
  const toErrorOutput = ctx.getNode().onError === 'continueErrorOutput';
  const json: IDataObject = { ...(toErrorOutput ? {} : (item?.json ?? {})), error: nodeError.message, details };
  return { json, ...(item?.binary ? { binary: item.binary } : {}), pairedItem: { item: itemIndex } };
}

/**
 * Runs `work` for every input item with the engine's bounded concurrency (BG_CONCURRENCY,
 * default 5 as in the old background service), keeps item order and pairedItem, and applies n8n's
 * continue-on-fail: a failed item keeps its input JSON and binary, with `error` and
 * `details` (errorCode...), routed to the error output when the node is set to, and the
 * rest of the batch still finishes.
 */
export async function runPerItem(ctx: IExecuteFunctions, work: (itemIndex: number) => Promise<INodeExecutionData>): Promise<INodeExecutionData[]> {
  const items = ctx.getInputData();
  let concurrency: number;
  try {
    concurrency = readEngineConfig().concurrency;
  } catch (error) {
    throw new NodeOperationError(ctx.getNode(), errorMessage(error));
  }
  return mapWithConcurrency<INodeExecutionData>(items.length, concurrency, async (itemIndex) => {
    try {
      return await work(itemIndex);
    } catch (error) {
      const nodeError = toNodeError(ctx, error, itemIndex);
      if (!ctx.continueOnFail()) throw nodeError;
      return errorItem(ctx, itemIndex, error, nodeError);
    }
  });
}

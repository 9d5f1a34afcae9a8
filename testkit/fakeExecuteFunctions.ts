import fs from 'node:fs';
import path from 'node:path';

import { type IBinaryData, type IDataObject, type IExecuteFunctions, type INode, type INodeExecutionData, NodeOperationError } from 'n8n-workflow';

/**
 * Just enough of n8n's IExecuteFunctions to drive a node's execute() in-process. The real
 * thing (binary modes, routing to the error output) is covered by the real-n8n test.
 */
export interface FakeContextOptions {
  items: INodeExecutionData[];
  parameters: Record<string, unknown> | ((name: string, itemIndex: number) => unknown);
  continueOnFail?: boolean;
  credentials?: Record<string, Record<string, unknown>>;
  /** The node's Settings -> On Error (continueErrorOutput: failed items go to the error output). */
  onError?: INode['onError'];
  /** n8n's N8N_RESTRICT_FILE_ACCESS_TO: when set, only paths inside these folders are allowed. */
  allowedPaths?: string[];
  /** The node's typeVersion (default 1). */
  typeVersion?: number;
}

export function binaryItem(data: Buffer, fileName: string, mimeType = 'image/jpeg', json: IDataObject = {}): INodeExecutionData {
  return { json, binary: { data: { data: data.toString('base64'), fileName, mimeType } as IBinaryData } };
}

export function fakeExecuteFunctions(options: FakeContextOptions) {
  const node: INode = {
    id: 'node-1',
    name: 'Background Cleanup',
    type: '@vitrinealu/n8n-nodes-background.backgroundCleanup',
    typeVersion: options.typeVersion ?? 1,
    position: [0, 0],
    parameters: {},
    ...(options.onError ? { onError: options.onError } : {}),
  };
  const warnings: string[] = [];
  const infos: string[] = [];
  const parameter = (name: string, itemIndex: number) =>
    typeof options.parameters === 'function' ? options.parameters(name, itemIndex) : options.parameters[name];
  const context = {
    getInputData: () => options.items,
    getCredentials: async (type: string) => {
      const credentials = options.credentials?.[type];
      if (!credentials) throw new NodeOperationError(node, `Node does not have any credentials set for "${type}"`);
      return credentials;
    },
    getExecutionCancelSignal: () => undefined,
    getNode: () => node,
    continueOnFail: () => options.continueOnFail ?? false,
    getNodeParameter: (name: string, itemIndex: number, ...fallback: unknown[]) => {
      const value = parameter(name, itemIndex);
      if (value !== undefined) return value;
      if (fallback.length > 0) return fallback[0];
      throw new Error(`Could not get parameter "${name}"`);
    },
    logger: {
      warn: (message: string) => warnings.push(message),
      info: (message: string) => infos.push(message),
      debug: () => undefined,
      error: () => undefined,
    },
    helpers: {
      // As n8n-core: real paths, and blocked outside the allowed folders when some are set.
      resolvePath: async (file: string) => {
        try {
          return await fs.promises.realpath(file);
        } catch (error) {
          if ((error as { code?: string }).code !== 'ENOENT') throw error;
          return path.join(await fs.promises.realpath(path.dirname(file)), path.basename(file));
        }
      },
      isFilePathBlocked: (resolved: string) =>
        !!options.allowedPaths && !options.allowedPaths.some((allowed) => !path.relative(fs.realpathSync(allowed), resolved).startsWith('..')),
      assertBinaryData: (itemIndex: number, property: string) => {
        const binary = options.items[itemIndex]?.binary?.[property];
        if (!binary) {
          throw new NodeOperationError(
            node,
            `This operation expects the node's input data to contain a binary file '${property}', but none was found [item ${itemIndex}]`,
            { itemIndex },
          );
        }
        return binary;
      },
      getBinaryDataBuffer: async (itemIndex: number, property: string) => Buffer.from(options.items[itemIndex].binary![property].data, 'base64'),
      prepareBinaryData: async (data: Buffer, fileName?: string, mimeType?: string): Promise<IBinaryData> => ({
        data: data.toString('base64'),
        fileName,
        mimeType: mimeType ?? 'application/octet-stream',
        fileExtension: fileName?.split('.').pop(),
        fileSize: `${data.length} B`,
      }),
    },
  };
  return { context: context as unknown as IExecuteFunctions, warnings, infos };
}

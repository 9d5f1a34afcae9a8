import { type IExecuteFunctions, type INodeProperties, NodeOperationError } from 'n8n-workflow';

import { parseSidecar, type SidecarFile, writeSidecar } from '../../../src/engine';
import type { SidecarTarget } from './router';

export const description: INodeProperties[] = [
  {
    displayName: 'Sidecar JSON',
    name: 'sidecarJson',
    type: 'json',
    default: '={{ JSON.stringify($json.sidecar) }}',
    displayOptions: { show: { operation: ['write'] } },
    description: 'The whole sidecar to write',
  },
];

/** Writes the given JSON, validated, as the whole sidecar. */
export async function execute(this: IExecuteFunctions, itemIndex: number, target: SidecarTarget): Promise<SidecarFile> {
  const raw = this.getNodeParameter('sidecarJson', itemIndex);
  let content: unknown = raw;
  if (typeof raw === 'string') {
    try {
      content = JSON.parse(raw);
    } catch (error) {
      throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: Sidecar JSON is not valid JSON: ${(error as Error).message}`, { itemIndex });
    }
  }
  return writeSidecar(
    target.root,
    target.sidecarPath,
    parseSidecar(content, 'Sidecar JSON'),
    target.seenVersion ? { expectedVersion: target.seenVersion } : {},
  );
}

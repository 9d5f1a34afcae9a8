import { type IDataObject, type IExecuteFunctions, type INodeProperties, NodeOperationError } from 'n8n-workflow';

import { parseBackgroundResult, parseReview, recordBackground, type SidecarFile } from '../../../src/engine';
import type { SidecarTarget } from './router';

export const description: INodeProperties[] = [
  {
    displayName: 'Output Path',
    name: 'outputPath',
    type: 'string',
    default: '',
    displayOptions: { show: { operation: ['update'] } },
    placeholder: '/media/background/photo-replaced.jpg',
    description: "Recorded as background.outJpg (where the result was written); empty records the result's file name",
  },
];

/**
 * Records the item's Background Cleanup / Replace result (json.background) in one locked
 * transaction of the engine's; when an earlier Read saw the file (json.sidecarVersion), a
 * change on disk since then is refused, never overwritten.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, target: SidecarTarget, json: IDataObject): Promise<SidecarFile> {
  if (json.background === undefined || json.background === null) {
    throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: no json.background to record; connect Background Cleanup or Replace before this node`, {
      itemIndex,
    });
  }
  const metadata = parseBackgroundResult(json.background);
  const review = parseReview(json.review);
  return recordBackground(
    target.root,
    target.sidecarPath,
    {
      metadata,
      sourceSha256: typeof json.sourceSha256 === 'string' ? json.sourceSha256 : undefined,
      outputPath: (this.getNodeParameter('outputPath', itemIndex, '') as string).trim() || undefined,
      review,
    },
    target.seenVersion ? { expectedVersion: target.seenVersion } : {},
  );
}

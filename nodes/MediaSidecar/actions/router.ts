import path from 'node:path';
import { type IDataObject, type IExecuteFunctions, type INodeExecutionData, NodeOperationError } from 'n8n-workflow';

import { readEngineConfig, type SidecarFile } from '../../../src/engine';
import { allowedPath } from '../../shared/fileAccess';
import { runPerItem } from '../../shared/itemRunner';
import * as read from './read.operation';
import * as update from './update.operation';
import * as write from './write.operation';

/** The sidecar an item names, checked against n8n's file-access rules. */
export interface SidecarTarget {
  /** The root folder, resolved (symlinks followed, as n8n resolves it). */
  root: string;
  sidecarPath: string;
  /** The version an earlier Read saw (json.sidecarVersion). */
  seenVersion?: string;
}

type Operation = (this: IExecuteFunctions, itemIndex: number, target: SidecarTarget, json: IDataObject) => Promise<SidecarFile>;
const OPERATIONS: Record<string, Operation> = { read: read.execute, update: update.execute, write: write.execute };

async function targetOf(ctx: IExecuteFunctions, itemIndex: number): Promise<SidecarTarget> {
  const rootSetting = (ctx.getNodeParameter('rootFolder', itemIndex, '') as string).trim() || readEngineConfig().sidecarRoot;
  if (!rootSetting)
    throw new NodeOperationError(ctx.getNode(), 'Set the Root Folder (or MEDIA_SIDECAR_ROOT): sidecars are only read and written inside it', { itemIndex });
  const sidecarPath = String(ctx.getNodeParameter('sidecarPath', itemIndex, '') ?? '').trim();
  if (!sidecarPath) throw new NodeOperationError(ctx.getNode(), `Item ${itemIndex}: no sidecar path (json.sidecarPath is empty)`, { itemIndex });
  // n8n's file-access rules for the root and the file in it; the store keeps the file inside the root.
  const root = await allowedPath(ctx, itemIndex, rootSetting, 'Root Folder');
  await allowedPath(ctx, itemIndex, path.resolve(root, sidecarPath), 'Sidecar Path');
  const seen = ctx.getInputData()[itemIndex].json.sidecarVersion;
  return { root, sidecarPath, ...(typeof seen === 'string' ? { seenVersion: seen } : {}) };
}

/** Each item through its operation; the item leaves with the sidecar, its path and version. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const results = await runPerItem(this, async (itemIndex) => {
    const item = this.getInputData()[itemIndex];
    const operation = this.getNodeParameter('operation', itemIndex) as string;
    const run = OPERATIONS[operation];
    if (!run) throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not known`, { itemIndex });
    const target = await targetOf(this, itemIndex);
    const json: IDataObject = { ...item.json };
    const file = await run.call(this, itemIndex, target, json);
    json.sidecar = file.sidecar as IDataObject;
    json.sidecarPath = target.sidecarPath;
    json.sidecarVersion = file.version;
    return { json, binary: item.binary, pairedItem: { item: itemIndex } };
  });
  return [results];
}

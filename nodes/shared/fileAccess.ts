import path from 'node:path';
import { type IExecuteFunctions, NodeOperationError } from 'n8n-workflow';

/** n8n's file-system helpers (n8n-core); present from n8n 1.x on, required here. */
interface FileAccessHelpers {
  resolvePath(file: string): Promise<string>;
  isFilePathBlocked(resolved: string): boolean;
}

function helpers(ctx: IExecuteFunctions): FileAccessHelpers {
  const candidate = ctx.helpers as unknown as Partial<FileAccessHelpers>;
  if (typeof candidate.resolvePath !== 'function' || typeof candidate.isFilePathBlocked !== 'function') {
    throw new NodeOperationError(ctx.getNode(), 'This n8n has no file-access helpers (resolvePath, isFilePathBlocked): the package needs n8n 2.10 or later');
  }
  return candidate as FileAccessHelpers;
}

/** The real path of `file`, or of its nearest existing folder plus the rest (a sidecar not written yet). */
async function resolveExisting(ctx: IExecuteFunctions, itemIndex: number, access: FileAccessHelpers, file: string, setting: string): Promise<string> {
  let existing = path.resolve(file);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await access.resolvePath(existing), ...rest);
    } catch (error) {
      const parent = path.dirname(existing);
      if ((error as { code?: string }).code !== 'ENOENT' || parent === existing) {
        throw new NodeOperationError(ctx.getNode(), `Item ${itemIndex}: ${setting} ${file} cannot be resolved: ${(error as Error).message}`, { itemIndex });
      }
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * Checks a path a node is about to read or write against n8n's file-access rules
 * (N8N_RESTRICT_FILE_ACCESS_TO, N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES, N8N_BLOCK_FILE_PATTERNS),
 * with symlinks resolved as n8n resolves them. Returns the resolved path, the one to use.
 */
export async function allowedPath(ctx: IExecuteFunctions, itemIndex: number, file: string, setting: string): Promise<string> {
  const access = helpers(ctx);
  const resolved = await resolveExisting(ctx, itemIndex, access, file, setting);
  if (access.isFilePathBlocked(resolved)) {
    const restrict = process.env.N8N_RESTRICT_FILE_ACCESS_TO?.trim();
    throw new NodeOperationError(
      ctx.getNode(),
      `Item ${itemIndex}: ${setting} ${file} is not a path this n8n lets nodes use ` +
        `(N8N_RESTRICT_FILE_ACCESS_TO=${restrict ? restrict : '(not set)'}; n8n's own folder is blocked while N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES is not "false"; N8N_BLOCK_FILE_PATTERNS also applies)`,
      {
        itemIndex,
        description: 'Move the file into an allowed folder, or add its folder to N8N_RESTRICT_FILE_ACCESS_TO (paths separated by ;) and restart n8n',
      },
    );
  }
  return resolved;
}

/** allowedPath for an optional setting: empty stays empty. */
export async function allowedOptionalPath(ctx: IExecuteFunctions, itemIndex: number, file: string | undefined, setting: string): Promise<string | undefined> {
  const trimmed = file?.trim();
  return trimmed ? allowedPath(ctx, itemIndex, trimmed, setting) : undefined;
}

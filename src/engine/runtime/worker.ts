/**
 * The worker-thread host of the pool: runs tasks from task modules (segmentation,
 * foreground estimation, SDXL), each required once per thread on first use, so sessions
 * a module opens stay loaded for the life of the thread.
 */
import { parentPort } from 'node:worker_threads';

import type { HostMessage, TaskModule, ThreadMessage } from './protocol';

const modules = new Map<string, TaskModule>();
const cancelled = new Set<number>();

function taskModule(file: string): TaskModule {
  let loaded = modules.get(file);
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as TaskModule;
    modules.set(file, loaded);
  }
  return loaded;
}

function post(message: ThreadMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

parentPort!.on('message', (message: HostMessage) => {
  if (message.type === 'cancel') {
    cancelled.add(message.id);
    return;
  }
  const { id, module, kind, request } = message;
  void (async () => {
    try {
      const handler = taskModule(module).tasks[kind];
      if (!handler) throw new Error(`${module} has no task "${kind}"`);
      const { result, transfer } = await handler(request as never, {
        progress: (report) => post({ type: 'progress', id, report }),
        cancelled: () => cancelled.has(id),
      });
      post({ type: 'done', id, result }, transfer);
    } catch (error) {
      const err = error as Error & { code?: string };
      post({ type: 'error', id, code: err.code, message: err instanceof Error ? err.message : String(error) });
    } finally {
      cancelled.delete(id);
    }
  })();
});

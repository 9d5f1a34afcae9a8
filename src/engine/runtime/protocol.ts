/** Messages between the worker pool (main thread) and its threads, and what a task module exports. */
export type HostMessage = { type: 'run'; id: number; module: string; kind: string; request: unknown } | { type: 'cancel'; id: number };

export type ThreadMessage =
  | { type: 'progress'; id: number; report: unknown }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'error'; id: number; code?: string; message: string };

export interface TaskContext {
  /** Sends a progress report to the caller (SDXL steps). */
  progress(report: unknown): void;
  /** True once the caller has cancelled this task: long tasks stop at their next step. */
  cancelled(): boolean;
}

/** A task returns its result and the buffers to move (not copy) back to the main thread. */
export type TaskHandler = (request: never, context: TaskContext) => Promise<{ result: unknown; transfer?: ArrayBuffer[] }>;

/** A module the pool's threads can run tasks from: `export const tasks = { name: handler }`. */
export interface TaskModule {
  tasks: Record<string, TaskHandler>;
}

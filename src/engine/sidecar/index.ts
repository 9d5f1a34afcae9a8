export { backgroundBlockSchema, sidecarSchema } from './schema';
export type { BackgroundBlock, Sidecar } from './schema';
export { alreadyProcessed, backgroundBlockFrom, cutoutDecisions, parseSidecar, plannedProcessing, processingKey, readSidecar, resolveInRoot, sourceSha256, writeSidecar } from './store';
export type { ProcessingPlan, SidecarFile } from './store';

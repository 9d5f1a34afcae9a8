export { backgroundBlockSchema, sidecarSchema } from './schema';
export type { BackgroundBlock, Sidecar } from './schema';
export { changeSidecar, parseSidecar, readSidecar, recordBackground, resolveInRoot, writeSidecar } from './store';
export type { SidecarChange, SidecarFile } from './store';
export { alreadyProcessed, backgroundBlockFrom, cutoutDecisions, cutoutEdits, plannedProcessing, processingKey, sourceSha256 } from './record';
export type { ProcessingPlan } from './record';
export type { JsonPath } from './jsonText';

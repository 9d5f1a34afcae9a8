export { backgroundBlockSchema, sidecarSchema } from './schema';
export type { BackgroundBlock, Sidecar } from './schema';
export {
  alreadyProcessed,
  backgroundBlockFrom,
  changeSidecar,
  cutoutDecisions,
  cutoutEdits,
  parseSidecar,
  plannedProcessing,
  processingKey,
  readSidecar,
  recordBackground,
  resolveInRoot,
  sourceSha256,
  writeSidecar,
} from './store';
export type { ProcessingPlan, SidecarChange, SidecarFile } from './store';
export type { JsonPath } from './jsonText';

import fs from 'node:fs';
import path from 'node:path';

/**
 * The bundled weekly template (automation/background-batch.json) with its Settings node
 * filled in, ready for `n8n import:workflow`. Shared by the demo, the tests and bench:batch.
 */
export interface BatchSettings {
  mediaApiUrl: string;
  sidecarRoot: string;
  outputDir: string;
  automation?: 'replace' | 'cleanup' | '';
  preset?: string;
  promptType?: string;
  /** Cut-outs scoring under this go out by Needs Review (still written and recorded). */
  reviewBelow?: number;
}

interface TemplateNode {
  name: string;
  parameters: { assignments?: { assignments: Array<{ name: string; value: unknown }> } } & Record<string, unknown>;
}

export const TEMPLATE_PATH = path.join(__dirname, '..', '..', 'automation', 'background-batch.json');

export function configuredTemplate(settings: BatchSettings, id: string): Record<string, unknown> {
  const workflow = JSON.parse(fs.readFileSync(TEMPLATE_PATH, 'utf8')) as { nodes: TemplateNode[] } & Record<string, unknown>;
  const node = workflow.nodes.find((candidate) => candidate.name === 'Settings');
  if (!node?.parameters.assignments) throw new Error('The template has no Settings node');
  for (const assignment of node.parameters.assignments.assignments) {
    const value = settings[assignment.name as keyof BatchSettings];
    if (value !== undefined) assignment.value = value;
  }
  return { ...workflow, id, active: false };
}

import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
  NodeOperationError,
} from 'n8n-workflow';

import { errorMessage, health } from '../../src/engine';

/**
 * The worker's health, inside n8n: the same JSON as `vitrinealu-bg health` (the inference
 * library loaded and a tiny model run, device, model hash, versions, problems), from the
 * worker that runs this node. Put it before a batch to stop early on a worker that cannot run models.
 */
export class BackgroundHealth implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Background Worker Health',
    name: 'backgroundHealth',
    icon: { light: 'file:backgroundHealth.svg', dark: 'file:backgroundHealth.dark.svg' },
    group: ['input'],
    version: 1,
    subtitle: '={{$parameter["failWhenUnhealthy"] ? "fail when unhealthy" : "report"}}',
    description: 'Checks that this n8n worker can run the background models: inference backend, device, model, versions',
    defaults: { name: 'Background Worker Health' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [
      {
        displayName: 'Fail When Unhealthy',
        name: 'failWhenUnhealthy',
        type: 'boolean',
        default: false,
        description:
          'Whether to stop the workflow with an error when the status is "error" (no inference backend runs, the model is missing); otherwise the report is the output either way',
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    let report: Awaited<ReturnType<typeof health>>;
    try {
      report = await health();
    } catch (error) {
      throw new NodeOperationError(this.getNode(), `Health check failed: ${errorMessage(error)}`);
    }
    if (report.status === 'error' && this.getNodeParameter('failWhenUnhealthy', 0, false)) {
      throw new NodeOperationError(this.getNode(), `This worker cannot run the background models: ${report.problems.join('; ')}`, {
        description:
          "Run the same check in the worker's shell: node <n8n user folder>/.n8n/nodes/node_modules/@vitrinealu/n8n-nodes-background/dist/src/cli/index.js health",
      });
    }
    if (report.status !== 'ok') for (const problem of report.problems) this.logger.warn(`Background Worker Health: ${problem}`);
    // One report per execution, paired with the first input item.
    return [[{ json: report as unknown as IDataObject, pairedItem: { item: 0 } }]];
  }
}

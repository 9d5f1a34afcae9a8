import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { parseBackgroundResult } from '../../src/engine';
import { isErrorItem } from './itemRunner';

/**
 * "Route by confidence" for Background Cleanup and Replace: cut-outs whose confidence
 * score is under a threshold leave by a second output, "Needs Review", with the reasons in
 * `json.review`, so a workflow can send them to a person (Photoroom's uncertainty score,
 * the old background service's decisions.reasons). Off, the node keeps its single output.
 */
export const confidenceProperties: INodeProperties[] = [
  {
    displayName: 'Route by Confidence',
    name: 'routeByConfidence',
    type: 'boolean',
    noDataExpression: true,
    default: false,
    description: 'Whether to send cut-outs whose confidence score is under the threshold to a second output, "Needs Review", with the reasons',
  },
  {
    displayName: 'Review Below',
    name: 'reviewBelow',
    type: 'number',
    default: 0.6,
    typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
    displayOptions: { show: { routeByConfidence: [true] } },
    description: 'Cut-outs scoring under this (0..1) go to Needs Review',
  },
];

/** One output, or Done + Needs Review when routing is on (n8n adds the error output after these). */
export const confidenceOutputs =
  '={{ $parameter["routeByConfidence"] ? [{ "type": "main", "displayName": "Done" }, { "type": "main", "displayName": "Needs Review" }] : [{ "type": "main" }] }}';

export function routeByConfidence(ctx: IExecuteFunctions, results: INodeExecutionData[]): INodeExecutionData[][] {
  if (!(ctx.getNodeParameter('routeByConfidence', 0, false) as boolean)) return [results];
  const done: INodeExecutionData[] = [];
  const review: INodeExecutionData[] = [];
  for (const item of results) {
    if (isErrorItem(item)) {
      done.push(item);
      continue;
    }
    const { confidence } = parseBackgroundResult(item.json.background, 'the result');
    const itemIndex = typeof item.pairedItem === 'object' && !Array.isArray(item.pairedItem) ? item.pairedItem.item : 0;
    const threshold = ctx.getNodeParameter('reviewBelow', itemIndex, 0.6) as number;
    if (!confidence || confidence.score >= threshold) {
      done.push(item);
      continue;
    }
    const reasons = confidence.reasons.length > 0 ? confidence.reasons : [`confidence ${confidence.score} is under ${threshold}`];
    review.push({ ...item, json: { ...item.json, review: { score: confidence.score, threshold, reasons } } });
  }
  return [done, review];
}

import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { parseSubjectHint, SUBJECT_OPTIONS, type SubjectHint } from '../../src/engine';
import { optionProperty } from './optionProperties';

/**
 * The subject hint options shared by Background Cleanup and Replace. The box comes from
 * the option (a fixed framing, or an expression reading an upstream node), else from the
 * item's `json.subjectHint`.
 */
export const subjectHintOptions: INodeProperties[] = [
  optionProperty(SUBJECT_OPTIONS, 'crossCheck'),
  {
    displayName: 'Exclude Points',
    name: 'excludePoints',
    type: 'string',
    default: '',
    placeholder: '0.8,0.2; 0.9,0.9',
    description: 'Points on things that are not the product ("x,y; x,y", pixels or fractions): the pieces of the mask under them are dropped',
  },
  {
    displayName: 'Framed Product',
    name: 'framedProduct',
    type: 'boolean',
    default: false,
    description:
      'Whether the product in the Subject Box is a frame (window, door, pergola): when the model looks through its panes, the colours of the bars along the box edges give the cut-out instead',
  },
  {
    displayName: 'Include Points',
    name: 'includePoints',
    type: 'string',
    default: '',
    placeholder: '0.5,0.6',
    description: 'Points on the product ("x,y; x,y", pixels or fractions): only the pieces of the mask under them are kept',
  },
  {
    displayName: 'Subject Box',
    name: 'subjectHint',
    type: 'string',
    default: '',
    placeholder: '0.1,0.05,0.8,0.9',
    description:
      'Where the product is: "x,y,width,height" in pixels or fractions of the image (or a JSON hint). Only that region is segmented; outside it the cut-out is empty. Empty uses the item\'s subjectHint field, if any.',
  },
];

export interface HintNodeOptions {
  subjectHint?: string;
  includePoints?: string;
  excludePoints?: string;
  crossCheck?: boolean;
  framedProduct?: boolean;
}

/** Splits the hint options off a node's options and resolves the hint for one item. */
export function hintRequest<T extends HintNodeOptions>(
  options: T,
  item: INodeExecutionData,
): { rest: Omit<T, keyof HintNodeOptions>; hint?: SubjectHint; crossCheck?: boolean } {
  const { subjectHint, includePoints, excludePoints, crossCheck, framedProduct, ...rest } = options;
  const fromItem = (item.json as IDataObject).subjectHint;
  const hint = parseSubjectHint(subjectHint?.trim() ? subjectHint : fromItem, { include: includePoints, exclude: excludePoints, frame: framedProduct });
  return { rest, ...(hint ? { hint } : {}), ...(crossCheck ? { crossCheck } : {}) };
}

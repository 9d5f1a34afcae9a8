import type { INodeProperties } from 'n8n-workflow';

import { SUBJECT_OPTIONS } from '../../src/engine';
import { optionProperties } from './optionProperties';

/** See-through for framed products (windows, doors, pergolas): the same options in Cleanup and Replace. */
export const seeThroughOptions: INodeProperties[] = optionProperties(SUBJECT_OPTIONS, ['seeThrough', 'glassOpacity', 'glassTint']);

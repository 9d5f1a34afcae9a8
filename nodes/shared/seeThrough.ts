import type { INodeProperties } from 'n8n-workflow';

/** See-through for framed products (windows, doors, pergolas): the same options in Cleanup and Replace. */
export const seeThroughOptions: INodeProperties[] = [
  {
    displayName: 'See-Through',
    name: 'seeThrough',
    type: 'options',
    default: 'gaps',
    options: [
      { name: 'Gaps (Open Panes)', value: 'gaps', description: 'Regions inside the frame that show the old background become transparent' },
      { name: 'Glass', value: 'glass', description: 'Those regions become faintly tinted glass' },
      { name: 'Off', value: 'off' },
    ],
    description: 'Windows, doors and pergolas: what to do with panes and gaps through which the old background shows',
  },
  {
    displayName: 'Glass Opacity',
    name: 'glassOpacity',
    type: 'number',
    default: 0.15,
    typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
    description: 'With See-Through = Glass: how opaque the panes stay (0 = clear)',
  },
  { displayName: 'Glass Tint', name: 'glassTint', type: 'color', default: '#e2eaee', description: 'With See-Through = Glass: the colour of the panes' },
];

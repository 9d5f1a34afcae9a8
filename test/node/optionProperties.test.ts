import { BackgroundCleanup } from '../../nodes/BackgroundCleanup/BackgroundCleanup.node';
import { BackgroundReplace } from '../../nodes/BackgroundReplace/BackgroundReplace.node';
import { optionProperty, versionedOptionProperties } from '../../nodes/shared/optionProperties';
import { BLEND_OPTIONS, CLEANUP_OPTIONS, GENERATION_OPTIONS, LAYOUT_OPTIONS, type OptionSpec, REPLACE_FILE_OPTIONS, SUBJECT_OPTIONS } from '../../src/engine';

type Property = { name: string; default?: unknown; options?: Array<{ name: string; value?: unknown }>; typeOptions?: Record<string, unknown> };
const flatten = (properties: Property[]): Property[] =>
  properties.flatMap((p) => [p, ...(p.name === 'options' ? flatten((p.options ?? []) as Property[]) : [])]);

describe('n8n parameters from the option tables', () => {
  test("a number's range and a choice's list come from the table", () => {
    expect(optionProperty(CLEANUP_OPTIONS, 'blurSigma')).toMatchObject({
      name: 'blurSigma',
      type: 'number',
      default: 0,
      typeOptions: { minValue: 0, maxValue: 500 },
    });
    expect(optionProperty(SUBJECT_OPTIONS, 'glassOpacity').typeOptions).toEqual({ minValue: 0, maxValue: 1, numberPrecision: 2 });
    expect(optionProperty(CLEANUP_OPTIONS, 'mode', { noDataExpression: true })).toMatchObject({
      type: 'options',
      noDataExpression: true,
      options: [{ value: 'transparent' }, { value: 'color' }, { value: 'blur' }, { value: 'mask' }],
    });
    const family = optionProperty(SUBJECT_OPTIONS, 'modelFamily');
    expect(family.type).toBe('options');
    expect(family.options![0]).toEqual({ name: 'Guess From File Name', value: '' });
  });

  test("an option renamed in version 2 keeps version 1's parameter", () => {
    const [older, newer] = versionedOptionProperties(CLEANUP_OPTIONS, 'featherPx', [1, 2]);
    expect(older).toMatchObject({ name: 'featherEdges', displayName: 'Feather Edges (Px)', displayOptions: { show: { '@version': [1] } } });
    expect(newer).toMatchObject({ name: 'featherPx', displayName: 'Feather (Px)', displayOptions: { show: { '@version': [2] } } });
  });

  test("the nodes show every table option, with the table's default", () => {
    const cleanup = flatten(new BackgroundCleanup().description.properties as Property[]);
    const replace = flatten(new BackgroundReplace().description.properties as Property[]);
    for (const [name, option] of Object.entries<OptionSpec>({ ...CLEANUP_OPTIONS, ...SUBJECT_OPTIONS })) {
      const shown = cleanup.filter((p) => p.name === name);
      expect(shown).toHaveLength(1);
      expect(shown[0].default).toEqual(option.nodeDefault ?? option.default ?? '');
    }
    for (const [name, option] of Object.entries<OptionSpec>({
      ...SUBJECT_OPTIONS,
      ...REPLACE_FILE_OPTIONS,
      ...GENERATION_OPTIONS,
      ...LAYOUT_OPTIONS,
      ...BLEND_OPTIONS,
    })) {
      const shown = replace.filter((p) => p.name === name);
      expect(shown).toHaveLength(1);
      expect(shown[0].default).toEqual(option.nodeDefault ?? option.default ?? '');
    }
    // What n8n fills in for an option the engine leaves to the preset: the usual value, not an empty field.
    expect(replace.find((p) => p.name === 'steps')!.default).toBe(25);
    expect(replace.find((p) => p.name === 'matchColors')!.default).toBe(true);
  });

  test('derived parameters keep the community-node lint rules the linter can no longer see (it reads object literals)', () => {
    for (const option of Object.values<OptionSpec>({
      ...CLEANUP_OPTIONS,
      ...SUBJECT_OPTIONS,
      ...REPLACE_FILE_OPTIONS,
      ...GENERATION_OPTIONS,
      ...LAYOUT_OPTIONS,
      ...BLEND_OPTIONS,
    })) {
      if (option.type === 'boolean') expect(option.description).toMatch(/^Whether /);
      expect(option.displayName).toMatch(/^([A-Z0-9(][^ ]*)( ([A-Z0-9(][^ ]*|to|of|and|or|in|on))*$/);
      expect(option.description).not.toMatch(/\.$/);
    }
  });
});

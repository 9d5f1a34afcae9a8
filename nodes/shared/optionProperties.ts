import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import type { OptionSpec, OptionTable } from '../../src/engine';

/** What the node adds to a table's option: where it shows (displayOptions) and n8n-only flags. */
type Layout = Pick<INodeProperties, 'displayOptions' | 'noDataExpression'>;

function choicesOf(option: OptionSpec): INodePropertyOptions[] | undefined {
  if (option.type === 'options')
    return Object.entries(option.choices).map(([value, choice]) => ({
      name: choice.name,
      value,
      ...(choice.description ? { description: choice.description } : {}),
    }));
  if ((option.type === 'string' || option.type === 'color') && option.suggested)
    return [{ name: option.suggested.unset, value: '' }, ...option.suggested.values.map((value) => ({ name: value, value }))];
  return undefined;
}

/** n8n needs a default: an option the engine leaves unset starts empty. */
function emptyOf(option: OptionSpec): string | number | boolean {
  if (option.type === 'number') return option.min;
  if (option.type === 'boolean') return false;
  return '';
}

function property(name: string, displayName: string, option: OptionSpec, layout: Layout): INodeProperties {
  const choices = choicesOf(option);
  const typeOptions =
    option.type === 'number' ? { minValue: option.min, maxValue: option.max, ...(option.precision ? { numberPrecision: option.precision } : {}) } : undefined;
  return {
    displayName,
    name,
    type: choices ? 'options' : option.type,
    ...(layout.noDataExpression ? { noDataExpression: true } : {}),
    default: option.nodeDefault ?? option.default ?? emptyOf(option),
    ...(typeOptions ? { typeOptions } : {}),
    ...(choices ? { options: choices } : {}),
    ...(option.placeholder ? { placeholder: option.placeholder } : {}),
    description: option.description,
    ...(layout.displayOptions ? { displayOptions: layout.displayOptions } : {}),
  };
}

/** One of a table's options as an n8n parameter. */
export function optionProperty<T extends OptionTable>(table: T, name: keyof T & string, layout: Layout = {}): INodeProperties {
  return property(name, table[name].displayName, table[name], layout);
}

/**
 * An option a node's older versions named differently (`formerly`): the old parameter shown
 * on those versions, the table's on the later ones (`versions`: the node's versions from
 * `beforeVersion` on).
 */
export function versionedOptionProperties<T extends OptionTable>(table: T, name: keyof T & string, versions: number[], layout: Layout = {}): INodeProperties[] {
  const option = table[name];
  if (!option.formerly) return [optionProperty(table, name, layout)];
  const { formerly } = option;
  const show = layout.displayOptions?.show ?? {};
  const older = versions.filter((version) => version < formerly.beforeVersion);
  const newer = versions.filter((version) => version >= formerly.beforeVersion);
  return [
    property(formerly.name, formerly.displayName, option, { ...layout, displayOptions: { show: { ...show, '@version': older } } }),
    property(name, option.displayName, option, { ...layout, displayOptions: { show: { ...show, '@version': newer } } }),
  ];
}

/** Several options of a table, in the order given. */
export function optionProperties<T extends OptionTable>(table: T, names: Array<keyof T & string>): INodeProperties[] {
  return names.map((name) => optionProperty(table, name));
}

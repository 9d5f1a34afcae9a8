import { EngineError } from '../core/errors';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Parses #rgb, #rrggbb (with or without #) into 0-255 channels. */
export function parseHexColor(value: string): Rgb {
  const text = String(value ?? '')
    .trim()
    .replace(/^#/, '');
  const expanded = /^[0-9a-f]{3}$/i.test(text) ? text.replace(/./g, (c) => c + c) : text;
  if (!/^[0-9a-f]{6}$/i.test(expanded)) {
    throw new EngineError('INVALID_OPTION', `"${value}" is not a hex colour (use #rrggbb, e.g. #ffffff)`);
  }
  const n = parseInt(expanded, 16);
  return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255 };
}

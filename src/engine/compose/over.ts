import type { AlphaMask, RawImage } from '../image/types';

/** out = F a + B (1 - a), exactly: where a = 255 the subject's pixels pass through untouched. */
export function compositeOver(subject: RawImage, alpha: AlphaMask, backdrop: RawImage): RawImage {
  const out = Buffer.allocUnsafe(backdrop.data.length);
  for (let i = 0; i < alpha.data.length; i++) {
    const a = alpha.data[i];
    for (let c = 0; c < 3; c++) {
      const o = i * 3 + c;
      out[o] = a === 255 ? subject.data[o] : a === 0 ? backdrop.data[o] : Math.round((subject.data[o] * a + backdrop.data[o] * (255 - a)) / 255);
    }
  }
  return { data: out, width: backdrop.width, height: backdrop.height, channels: 3 };
}

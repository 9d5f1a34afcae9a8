/**
 * Box filter (mean over a (2r+1)^2 window, clamped at the borders) in two separable
 * passes with running sums: O(pixels) whatever the radius.
 */
export function boxBlur(values: Float32Array, width: number, height: number, radius: number, scratch?: Float32Array): Float32Array {
  const temp = scratch && scratch.length >= values.length ? scratch : new Float32Array(values.length);
  // Horizontal pass into temp.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    let count = 0;
    for (let x = 0; x <= Math.min(radius, width - 1); x++) {
      sum += values[row + x];
      count++;
    }
    for (let x = 0; x < width; x++) {
      temp[row + x] = sum / count;
      const add = x + radius + 1;
      const drop = x - radius;
      if (add < width) {
        sum += values[row + add];
        count++;
      }
      if (drop >= 0) {
        sum -= values[row + drop];
        count--;
      }
    }
  }
  // Vertical pass back into values.
  for (let x = 0; x < width; x++) {
    let sum = 0;
    let count = 0;
    for (let y = 0; y <= Math.min(radius, height - 1); y++) {
      sum += temp[y * width + x];
      count++;
    }
    for (let y = 0; y < height; y++) {
      values[y * width + x] = sum / count;
      const add = y + radius + 1;
      const drop = y - radius;
      if (add < height) {
        sum += temp[add * width + x];
        count++;
      }
      if (drop >= 0) {
        sum -= temp[drop * width + x];
        count--;
      }
    }
  }
  return values;
}

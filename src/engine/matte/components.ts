/**
 * Connected pieces (4-connected) of a binary mask, `width` pixels a row. Labels start at 1;
 * 0 is background. `sizes[label]` is each piece's pixel count.
 */
export function labelComponents(mask: Uint8Array, width: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(mask.length);
  const sizes = [0];
  const stack: number[] = [];
  for (let seed = 0; seed < mask.length; seed++) {
    if (!mask[seed] || labels[seed]) continue;
    const label = sizes.length;
    let size = 0;
    labels[seed] = label;
    stack.push(seed);
    while (stack.length > 0) {
      const i = stack.pop()!;
      size++;
      const x = i % width;
      const neighbours = [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i >= width ? i - width : -1, i + width < mask.length ? i + width : -1];
      for (const j of neighbours) {
        if (j >= 0 && mask[j] && !labels[j]) {
          labels[j] = label;
          stack.push(j);
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/**
 * Windowing for long columns: only the cards near the viewport are in the DOM; the others are stood in for by
 * padding of the right height, so the scroll bar, drop positions and scrolling to a card stay true. Cards differ in
 * height (one to three title lines, tags, labels), so every rendered card's height is measured and kept by deal id;
 * a card never rendered counts as an estimate until it is. Pure functions over numbers, so they are tested alone.
 */

/** Where each item starts: `offsets[i]` is the top of item i, `offsets[n]` the end of the last one plus its gap. */
export type Offsets = Float64Array;

/** Item tops for `keys` in order, from measured heights (an estimate for the unmeasured), each followed by `gap`. */
export function layoutOffsets(keys: ReadonlyArray<{ id: string }>, heights: ReadonlyMap<string, number>, estimate: number, gap: number): Offsets {
  const offsets = new Float64Array(keys.length + 1);
  for (let i = 0; i < keys.length; i++) offsets[i + 1] = offsets[i] + (heights.get(keys[i].id) ?? estimate) + gap;
  return offsets;
}

/** The whole list's height: every item and the gaps between them (none after the last). */
export function totalHeight(offsets: Offsets, gap: number): number {
  const count = offsets.length - 1;
  return count > 0 ? offsets[count] - gap : 0;
}

/** The first item that ends below `y`: the item at `y` or the next one (the last item when `y` is past the end). */
function firstEndingAfter(offsets: Offsets, y: number): number {
  let low = 0;
  let high = offsets.length - 2;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (offsets[middle + 1] <= y) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The items to render, [start, end), for a viewport of `height` pixels whose top is `top` pixels into the list,
 * with `overscan` pixels more above and below, so Tab and a short scroll find the next card already there.
 */
export function visibleRange(offsets: Offsets, top: number, height: number, overscan: number): { start: number; end: number } {
  const count = offsets.length - 1;
  if (count <= 0) return { start: 0, end: 0 };
  const start = firstEndingAfter(offsets, Math.max(0, top - overscan));
  let end = start;
  const bottom = top + height + overscan;
  while (end < count && offsets[end] < bottom) end++;
  return { start, end: Math.max(end, Math.min(count, start + 1)) };
}

/** Where a drop at `y` pixels into the list lands: how many items have their middle above `y`. */
export function indexAt(offsets: Offsets, y: number): number {
  const count = offsets.length - 1;
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const itemMiddle = (offsets[middle] + offsets[middle + 1]) / 2;
    if (itemMiddle < y) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The scroll position that brings item `index` fully into a viewport of `height` (already in view: unchanged),
 * for a list that starts `listTop` pixels into its scroller.
 */
export function scrollToShow(offsets: Offsets, index: number, gap: number, listTop: number, scrollTop: number, height: number, margin = 8): number {
  const top = listTop + offsets[index] - margin;
  const bottom = listTop + offsets[index + 1] - gap + margin;
  if (top < scrollTop) return Math.max(0, top);
  if (bottom > scrollTop + height) return Math.max(0, Math.min(top, bottom - height));
  return scrollTop;
}

/** Pixels to scroll per step while something is dragged within `zone` pixels of a scroller's top or bottom edge. */
export function edgeScrollStep(pointerY: number, top: number, bottom: number, zone = 56, fastest = 24): number {
  if (bottom - top < zone * 3) zone = (bottom - top) / 3;
  if (pointerY < top + zone) return -Math.ceil(fastest * Math.min(1, (top + zone - pointerY) / zone));
  if (pointerY > bottom - zone) return Math.ceil(fastest * Math.min(1, (pointerY - (bottom - zone)) / zone));
  return 0;
}

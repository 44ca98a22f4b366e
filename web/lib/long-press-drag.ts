import type { CardMover } from './card-mover.svelte.ts';
import { edgeScrollStep } from './windowing.ts';

/** How long a finger rests on a card before it lifts, and how far it may wander meanwhile (farther is a scroll). */
export const LONG_PRESS_MS = 450;
const SLOP_PX = 10;

/**
 * Each column's scroller → the drop position under a finger at a given clientY. Columns are windowed (most cards
 * are not in the DOM), so the column computes it from its layout rather than from the cards it renders.
 */
export const dropIndexers = new WeakMap<Element, (clientY: number) => number>();

/**
 * Drag by touch: a long press on a card lifts it, the finger carries it over a column (or onto a stage in the
 * stage switcher) and lifting the finger drops it, through the same CardMover as a mouse drag. A quick swipe stays
 * a scroll, a tap stays a tap. Returns the function that detaches it.
 */
export function attachLongPressDrag(root: HTMLElement, mover: CardMover, canMove: () => boolean): () => void {
  let pressed: { card: HTMLElement; wasDraggable: boolean; dealId: string; x: number; y: number; timer: ReturnType<typeof setTimeout> } | null = null;
  let lifted = false;
  /** Where the finger is while a card is lifted, and the frame loop that scrolls a column when it rests near an edge. */
  let finger = { x: 0, y: 0 };
  let frame = 0;

  function scrollNearEdge() {
    frame = 0;
    if (!lifted) return;
    const scroller = document.elementFromPoint(finger.x, finger.y)?.closest('section[data-stage-id]')?.querySelector<HTMLElement>('[data-column-scroller]');
    if (scroller) {
      const box = scroller.getBoundingClientRect();
      const step = edgeScrollStep(finger.y, box.top, box.bottom);
      if (step) {
        scroller.scrollTop += step;
        aim(finger.x, finger.y);
      }
    }
    frame = requestAnimationFrame(scrollNearEdge);
  }

  function release() {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (pressed) {
      clearTimeout(pressed.timer);
      pressed.card.draggable = pressed.wasDraggable;
    }
    pressed = null;
    lifted = false;
  }

  function start(event: TouchEvent) {
    release();
    const card = (event.target as Element).closest<HTMLElement>('[data-deal-id]');
    if (!card || event.touches.length !== 1 || !canMove()) return;
    const { clientX: x, clientY: y } = event.touches[0];
    const dealId = card.dataset.dealId!;
    // While a finger holds it the card is not natively draggable: the browser's own touch drag would cancel this one.
    const wasDraggable = card.draggable;
    card.draggable = false;
    pressed = {
      card,
      wasDraggable,
      dealId,
      x,
      y,
      timer: setTimeout(() => {
        lifted = true;
        mover.startDrag(dealId);
        finger = { x, y };
        aim(x, y);
        frame = requestAnimationFrame(scrollNearEdge);
        navigator.vibrate?.(10);
      }, LONG_PRESS_MS)
    };
  }

  function move(event: TouchEvent) {
    if (!pressed) return;
    const { clientX: x, clientY: y } = event.touches[0];
    if (!lifted) {
      if (Math.hypot(x - pressed.x, y - pressed.y) > SLOP_PX) release(); // the finger is scrolling, not pressing
      return;
    }
    event.preventDefault(); // a lifted card moves; the board does not scroll under it
    finger = { x, y };
    aim(x, y);
  }

  function end(event: TouchEvent) {
    if (!lifted) return release();
    event.preventDefault(); // no click: the card was moved, not tapped open
    const target = mover.target;
    const dealId = pressed?.dealId;
    release();
    if (target && dealId) mover.dropAt(target.stageId, target.index, dealId);
    else mover.cancel();
  }

  function cancel() {
    if (lifted) mover.cancel();
    release();
  }

  /** Where the card would land under the finger: a stage in the switcher (its top), or a place in a column. */
  function aim(x: number, y: number) {
    const under = document.elementFromPoint(x, y);
    const choice = under?.closest<HTMLElement>('[data-stage-choice]');
    if (choice) return mover.dragOver(choice.dataset.stageChoice!, 0);
    const column = under?.closest<HTMLElement>('section[data-stage-id]');
    if (!column) return;
    const scroller = column.querySelector('[data-column-scroller]');
    const indexer = scroller ? dropIndexers.get(scroller) : undefined;
    const index = indexer ? indexer(y) : 0;
    mover.dragOver(column.dataset.stageId!, index);
  }

  /** A long press also asks for the context menu on a phone; while a card is pressed, it does not get one. */
  function menu(event: Event) {
    if (pressed) event.preventDefault();
  }

  root.addEventListener('touchstart', start, { passive: true });
  root.addEventListener('touchmove', move, { passive: false });
  root.addEventListener('touchend', end, { passive: false });
  root.addEventListener('touchcancel', cancel);
  root.addEventListener('contextmenu', menu);
  return () => {
    release();
    root.removeEventListener('touchstart', start);
    root.removeEventListener('touchmove', move);
    root.removeEventListener('touchend', end);
    root.removeEventListener('touchcancel', cancel);
    root.removeEventListener('contextmenu', menu);
  };
}

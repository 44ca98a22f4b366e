/** The deal panel's width at desktop sizes: chosen by dragging or with the arrow keys, remembered per user. */
export const PANEL_WIDTH = { default: 380, min: 320, max: 760, step: 16, largeStep: 80 } as const;

/** The board keeps at least this much room beside the panel, so a narrow window never loses it. */
const BOARD_ROOM = 360;

/** The widest the panel may be in a window this wide. */
export function widestPanel(viewportWidth: number): number {
  return Math.max(PANEL_WIDTH.min, Math.min(PANEL_WIDTH.max, viewportWidth - BOARD_ROOM));
}

export function clampPanelWidth(width: number, viewportWidth: number): number {
  if (!Number.isFinite(width)) return PANEL_WIDTH.default;
  return Math.round(Math.min(widestPanel(viewportWidth), Math.max(PANEL_WIDTH.min, width)));
}

const keyFor = (userId: string) => `lanes:deal-panel-width:${userId}`;

/** The width this user last chose on this device, or the default; anything unreadable counts as no choice. */
export function rememberedPanelWidth(userId: string | null | undefined, storage: Pick<Storage, 'getItem'> | null = safeStorage()): number {
  if (!userId || !storage) return PANEL_WIDTH.default;
  const stored = Number(storage.getItem(keyFor(userId)));
  return stored >= PANEL_WIDTH.min && stored <= PANEL_WIDTH.max ? stored : PANEL_WIDTH.default;
}

export function rememberPanelWidth(userId: string | null | undefined, width: number, storage: Pick<Storage, 'setItem'> | null = safeStorage()): void {
  if (!userId || !storage) return;
  try {
    storage.setItem(keyFor(userId), String(Math.round(width)));
  } catch {
    // Storage full or refused (private mode): the width still applies until the page closes.
  }
}

/** The width after a key on the resize handle (the panel is on the right: Left widens it), or null for other keys. */
export function keyedPanelWidth(key: string, width: number, viewportWidth: number): number | null {
  switch (key) {
    case 'ArrowLeft':
    case 'ArrowUp':
      return clampPanelWidth(width + PANEL_WIDTH.step, viewportWidth);
    case 'ArrowRight':
    case 'ArrowDown':
      return clampPanelWidth(width - PANEL_WIDTH.step, viewportWidth);
    case 'PageUp':
      return clampPanelWidth(width + PANEL_WIDTH.largeStep, viewportWidth);
    case 'PageDown':
      return clampPanelWidth(width - PANEL_WIDTH.largeStep, viewportWidth);
    case 'Home':
      return PANEL_WIDTH.min;
    case 'End':
      return widestPanel(viewportWidth);
    default:
      return null;
  }
}

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

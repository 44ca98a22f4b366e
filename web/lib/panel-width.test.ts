import { describe, expect, it } from 'vitest';
import { clampPanelWidth, keyedPanelWidth, PANEL_WIDTH, rememberedPanelWidth, rememberPanelWidth, widestPanel } from './panel-width.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) };
}

describe('deal panel width', () => {
  it('stays between 320 px and 760 px, and always leaves the board 360 px', () => {
    expect(clampPanelWidth(100, 1440)).toBe(PANEL_WIDTH.min);
    expect(clampPanelWidth(5000, 1440)).toBe(760);
    expect(widestPanel(900)).toBe(540);
    expect(clampPanelWidth(700, 900)).toBe(540);
    expect(widestPanel(500)).toBe(PANEL_WIDTH.min);
    expect(clampPanelWidth(Number.NaN, 1440)).toBe(PANEL_WIDTH.default);
  });

  it('moves by the arrow keys (Left widens a panel on the right), pages, and Home and End', () => {
    expect(keyedPanelWidth('ArrowLeft', 380, 1440)).toBe(396);
    expect(keyedPanelWidth('ArrowRight', 380, 1440)).toBe(364);
    expect(keyedPanelWidth('PageUp', 380, 1440)).toBe(460);
    expect(keyedPanelWidth('PageDown', 330, 1440)).toBe(320);
    expect(keyedPanelWidth('Home', 500, 1440)).toBe(320);
    expect(keyedPanelWidth('End', 500, 1440)).toBe(760);
    expect(keyedPanelWidth('a', 500, 1440)).toBeNull();
  });

  it('is remembered per user, and anything unreadable counts as no choice', () => {
    const storage = memoryStorage();
    rememberPanelWidth('ann', 512, storage);
    expect(rememberedPanelWidth('ann', storage)).toBe(512);
    expect(rememberedPanelWidth('bob', storage)).toBe(PANEL_WIDTH.default);
    storage.setItem('lanes:deal-panel-width:bob', 'wide');
    expect(rememberedPanelWidth('bob', storage)).toBe(PANEL_WIDTH.default);
    storage.setItem('lanes:deal-panel-width:bob', '9999');
    expect(rememberedPanelWidth('bob', storage)).toBe(PANEL_WIDTH.default);
    expect(rememberedPanelWidth(null, storage)).toBe(PANEL_WIDTH.default);
  });
});

/** Text fields keep their own native undo; the board's undo must not steal Ctrl-Z from them. */
const TEXT_ENTRY = 'input, textarea, select, [contenteditable]:not([contenteditable="false"])';

/**
 * Which board history step a key press asks for: Ctrl/Cmd-Z undo, Shift-Ctrl/Cmd-Z or Ctrl-Y redo, or null when
 * the key is something else or focus is in a text field.
 */
export function undoShortcut(event: KeyboardEvent): 'undo' | 'redo' | null {
  if (event.defaultPrevented || event.altKey || !(event.ctrlKey || event.metaKey)) return null;
  const target = event.target;
  if (target instanceof Element && (target.closest(TEXT_ENTRY) || (target as HTMLElement).isContentEditable)) return null;
  const key = event.key.toLowerCase();
  if (key === 'z') return event.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && event.ctrlKey && !event.metaKey && !event.shiftKey) return 'redo';
  return null;
}

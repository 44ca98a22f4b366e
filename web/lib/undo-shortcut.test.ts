import { describe, expect, it } from 'vitest';
import { undoShortcut } from './undo-shortcut.ts';

function press(key: string, init: KeyboardEventInit = {}, target: Element = document.body): KeyboardEvent {
  let seen: KeyboardEvent | undefined;
  target.addEventListener('keydown', (event) => (seen = event as KeyboardEvent), { once: true });
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }));
  return seen!;
}

describe('undoShortcut', () => {
  it('reads Ctrl-Z and Cmd-Z as undo, with Shift or Ctrl-Y as redo', () => {
    expect(undoShortcut(press('z', { ctrlKey: true }))).toBe('undo');
    expect(undoShortcut(press('z', { metaKey: true }))).toBe('undo');
    expect(undoShortcut(press('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(undoShortcut(press('Z', { metaKey: true, shiftKey: true }))).toBe('redo');
    expect(undoShortcut(press('y', { ctrlKey: true }))).toBe('redo');
  });

  it('ignores other keys and a plain Z', () => {
    expect(undoShortcut(press('z'))).toBeNull();
    expect(undoShortcut(press('x', { ctrlKey: true }))).toBeNull();
    expect(undoShortcut(press('z', { ctrlKey: true, altKey: true }))).toBeNull();
  });

  it('leaves Ctrl-Z to text fields, which keep their native undo', () => {
    document.body.innerHTML = '<input /><textarea></textarea><select><option>a</option></select><div contenteditable="true"><b>x</b></div><div tabindex="0"></div>';
    for (const selector of ['input', 'textarea', 'select', '[contenteditable] b']) {
      expect(undoShortcut(press('z', { ctrlKey: true }, document.querySelector(selector)!))).toBeNull();
    }
    expect(undoShortcut(press('z', { ctrlKey: true }, document.querySelector('[tabindex]')!))).toBe('undo');
  });
});

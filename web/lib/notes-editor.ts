import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next';
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';

export interface NotesEditorSettings {
  /** The screen reader name of the text box, e.g. "Notes on Acme renewal". */
  label: string;
  readOnly: boolean;
}

export interface NotesEditorOptions extends NotesEditorSettings {
  notes: Y.Text;
  /** The board doc's awareness: each tab's `user` {name, color, colorLight} labels its cursor for the others. */
  awareness: Awareness;
  placeholder: string;
}

export interface NotesEditor {
  readonly view: EditorView;
  configure(settings: NotesEditorSettings): void;
  destroy(): void;
}

const theme = EditorView.theme({
  '&': { border: '1px solid var(--border)', borderRadius: '8px', background: '#fff' },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '2px' },
  '.cm-scroller': { fontFamily: 'var(--font)', lineHeight: '1.45', minHeight: '120px', maxHeight: '360px' },
  // Room above the first line for a colleague's name label.
  '.cm-content': { padding: '14px 10px 8px', minHeight: '120px' },
  '.cm-line': { padding: '0' },
  '.cm-placeholder': { color: 'var(--muted)' },
  '&.lanes-read-only': { background: 'var(--bg)' },
  // Names stay visible (y-codemirror.next shows them only on hover): who is typing where is the point.
  '.cm-ySelectionInfo': { opacity: '1', fontFamily: 'var(--font)', fontWeight: '600', borderRadius: '3px 3px 3px 0', padding: '0 4px' }
});

/**
 * A CodeMirror 6 view bound to a deal's notes: local typing goes into the Y.Text, remote typing comes out of it, and
 * colleagues' cursors and selections show with their names. Ctrl/Cmd-Z undoes only this user's typing in these notes.
 */
export function mountNotesEditor(parent: HTMLElement, options: NotesEditorOptions): NotesEditor {
  const { notes, awareness } = options;
  // Tracks only the binding's own writes (y-codemirror.next adds its origin), never a colleague's typing.
  const undoManager = new Y.UndoManager(notes, { trackedOrigins: new Set() });
  const settings = new Compartment();
  const configured = ({ label, readOnly }: NotesEditorSettings) => [
    EditorState.readOnly.of(readOnly),
    EditorView.editable.of(!readOnly),
    EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true', ...(readOnly ? { 'aria-readonly': 'true' } : {}) }),
    EditorView.editorAttributes.of({ class: readOnly ? 'lanes-read-only' : '' })
  ];
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: notes.toString(),
      extensions: [
        keymap.of(yUndoManagerKeymap),
        yCollab(notes, awareness, { undoManager }),
        placeholder(options.placeholder),
        EditorView.lineWrapping,
        theme,
        settings.of(configured(options))
      ]
    })
  });
  return {
    view,
    configure: (next) => view.dispatch({ effects: settings.reconfigure(configured(next)) }),
    destroy: () => {
      view.destroy();
      undoManager.destroy();
      // Colleagues stop seeing a cursor in notes this tab no longer shows.
      if (awareness.getLocalState()?.cursor) awareness.setLocalStateField('cursor', null);
    }
  };
}

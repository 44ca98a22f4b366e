/** What Tab can reach inside a container. */
const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

/** The controls Tab reaches in `container`, in order: shown ones, outside disabled fieldsets. */
export function focusableIn(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((control) => control.getClientRects().length > 0 && !control.closest('fieldset:disabled'));
}

/**
 * For a modal dialog's keydown: Tab on its last control goes to the first, Shift+Tab on the first (or on the dialog
 * itself) to the last, so the keyboard never reaches what the dialog covers.
 */
export function keepTabInside(container: HTMLElement, event: KeyboardEvent): void {
  if (event.key !== 'Tab') return;
  const controls = focusableIn(container);
  if (!controls.length) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  const active = document.activeElement;
  if (event.shiftKey && (active === first || active === container)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}

/** Follow whether the screen is phone-sized (where panels go full screen and modal); `follow` gets each answer. */
export function watchPhoneWidth(follow: (phone: boolean) => void): () => void {
  const query = typeof window.matchMedia === 'function' ? window.matchMedia('(max-width: 640px)') : null;
  if (!query) return () => {};
  const changed = () => follow(query.matches);
  changed();
  query.addEventListener('change', changed);
  return () => query.removeEventListener('change', changed);
}

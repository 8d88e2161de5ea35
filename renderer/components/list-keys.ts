/** Where typing goes to the element itself: `/` there is a character, not a shortcut. */
function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/** Each row's own link (its name, which opens its page), in the list on screen. */
function rowLinks(): HTMLAnchorElement[] {
  return [...document.querySelectorAll<HTMLAnchorElement>('main table.table tbody tr .cell-name a')];
}

function filterField(): HTMLInputElement | null {
  return document.querySelector<HTMLInputElement>('main input[type="search"]');
}

/**
 * The lists' keys, as in Docker Desktop: `/` focuses the filter, the arrow keys move from row to row
 * (down from the filter to the first), Enter opens the row's page (its name is a link).
 */
export function startListKeys(): void {
  addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const target = event.target;
    if (event.key === '/' && !isTyping(target)) {
      const filter = filterField();
      if (!filter) return;
      event.preventDefault();
      filter.focus();
      filter.select();
      return;
    }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const links = rowLinks();
    if (links.length === 0 || !(target instanceof HTMLElement)) return;
    let next: HTMLAnchorElement | undefined;
    if (target === filterField()) {
      if (event.key === 'ArrowDown') next = links[0];
    } else {
      const row = target.closest('main table.table tbody tr');
      if (!row) return;
      const at = links.findIndex((link) => row.contains(link));
      next = links[Math.min(links.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)))];
    }
    if (!next) return;
    event.preventDefault();
    next.focus();
    next.scrollIntoView({ block: 'nearest' });
  });
}

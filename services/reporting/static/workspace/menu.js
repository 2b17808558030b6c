// The menu on a phone: folded behind "☰ Danh mục" (workspace.css shows the button and hides
// the menu on narrow screens), so the page's own content comes first. The button says whether
// the menu is open (aria-expanded); opening it moves the focus to its first link, choosing a
// link or Escape folds it again.
'use strict';

(function () {
  const nav = document.getElementById('nav');
  const button = document.getElementById('menu-toggle');

  function fold(open) {
    document.body.classList.toggle('menu-open', open);
    button.setAttribute('aria-expanded', String(open));
  }

  button.addEventListener('click', () => {
    const open = !document.body.classList.contains('menu-open');
    fold(open);
    const first = open && nav.querySelector('a');
    if (first) first.focus();
  });
  window.addEventListener('hashchange', () => fold(false));
  nav.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('menu-open')) {
      fold(false);
      button.focus();
    }
  });
})();

// Similar opinions while a secretary types (ý kiến tương tự): under each opinion's text in the
// voter-contact form (and its correction), after a pause in typing, up to five opinions already
// recorded in her unit, the units beside it and the level above, this term, with their unit,
// day and status (GET /units/{unit}/opinions/similar). It only warns: nothing is merged and
// sending is never held up. Without a connection, or on any failure, it shows nothing.
'use strict';

(function () {
  const L = window.HDND_LABELS;
  const { h, fromIso } = window.SchemaForm;
  const FIELD = /(^|\.)opinions\[\]\.text$/; // the text of a voter contact's opinion
  const PAUSE_MS = 250;
  const MIN_WORDS = 3; // the matcher suggests nothing for fewer meaningful syllables

  // The hook SchemaForm calls for each text field it draws (`opts.decorate`):
  // ctx.api(service, path, query) → answer (throws when there is none); ctx.unit() → code.
  function decorator(ctx) {
    return (pattern, input, field) => { if (FIELD.test(pattern)) attach(ctx, input, field); };
  }

  function attach(ctx, input, field) {
    const box = h('div', { class: 'suggestions', 'aria-live': 'polite', hidden: true });
    field.insertBefore(box, field.querySelector('.field-error'));
    const dismissed = new Set(); // opinions she has hidden: not shown again for this field
    let timer = 0;
    let asked = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(ask, PAUSE_MS);
    });

    async function ask() {
      const mine = ++asked;
      const text = input.value.trim();
      if (text.split(/\s+/).filter(Boolean).length < MIN_WORDS) { show([]); return; }
      const query = { text, limit: 5 };
      const own = ownId(field);
      if (own) query.exclude = own;
      let found = [];
      try {
        const answer = await ctx.api('reporting', `/units/${encodeURIComponent(ctx.unit())}/opinions/similar`, query);
        found = answer.opinions || [];
      } catch (_) { found = []; } // offline, the index still being built …: nothing to say
      if (mine === asked) show(found.filter((o) => !dismissed.has(keyOf(o))));
    }

    function show(found) {
      box.hidden = found.length === 0;
      if (box.hidden) { box.replaceChildren(); return; }
      const hide = h('button', { type: 'button', class: 'link', 'aria-label': 'Ẩn các ý kiến tương tự' }, 'Ẩn');
      hide.addEventListener('click', () => {
        found.forEach((o) => dismissed.add(keyOf(o)));
        show([]);
        input.focus();
      });
      box.replaceChildren(
        h('div', { class: 'suggestions-head' }, h('strong', {}, 'Ý kiến tương tự đã ghi nhận:'), hide),
        h('ul', {}, found.map((o) => h('li', { 'data-unit': o.unit.code, 'data-opinion': o.opinion_id },
          h('span', { class: 'suggestion-text' }, o.text),
          h('span', { class: 'hint' }, ` ${o.unit.name} · ${fromIso(o.raised_on)} · `),
          h('span', { class: `stage s-${o.status}` }, L.stages[o.status] || o.status)))),
        h('p', { class: 'hint' }, 'Để tham khảo: ý kiến vẫn được ghi nhận riêng, hệ thống không tự gộp.'));
    }
  }

  function keyOf(o) { return `${o.unit.code}:${o.opinion_id}`; }

  // The id of the opinion this text belongs to (a correction must not find itself).
  function ownId(field) {
    const item = field.closest('.sf-item');
    const id = item && item.querySelector('[data-id-field="opinion_id"]');
    return id ? id.dataset.idValue : '';
  }

  window.WorkspaceSuggestions = { decorator };
})();

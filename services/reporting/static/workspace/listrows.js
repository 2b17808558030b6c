// The rows of the follow-up lists, so whoever waits reads the answer where they look: the
// units an item is from or for named by their names (the code on hover), and each item's
// answer or outcome in its row (the agency's answer to an opinion, how a petition was settled,
// a recommendation implemented, a proposal's answer …), the whole text one click away ("Xem").
// `outcomes` and `parties` are pure (items in, plain values out); names come from one batch
// lookup per list (GET /workspace/units?codes=…), kept in the browser for offline pages.
'use strict';

(function () {
  const { h, fromIso } = window.SchemaForm;
  const REFORM = '2025-07-01'; // codes were reused by other councils from this day
  const STORE = 'hdnd-workspace-unit-names-by-era';
  const SHORT = 160; // characters of an outcome shown before "Xem"
  const names = JSON.parse(localStorage.getItem(STORE) || '{}'); // "era:code" → name

  function at(item, path) {
    return path.split('.').reduce((o, p) => (o == null ? undefined : o[p]), item);
  }
  function eraOf(day) { return day && day < REFORM ? 'legacy' : '2025'; }

  // A step of a tracked item as an outcome line, if the item took it.
  const step = (name, day, text, label) => (i) => (at(i, `steps.${name}`)
    ? { label, date: at(i, `steps.${name}.${day}`), text: text ? at(i, `steps.${name}.${text}`) : null } : null);
  const answer = (label) => (i) => (i.answer
    ? { label, date: i.answer.answered_on, text: i.answer.answer, unit: i.answer.answered_by } : null);

  // Per list (labels.js `lists` keys): `units`, fields holding unit codes (who it is from or
  // for); `agencies`, fields holding an agency's name; `outcome`, the lines it may show.
  const ROWS = {
    'y-kien': {
      agencies: ['steps.forwarded.agency', 'opened.addressed_to'],
      outcome: [step('resolved', 'resolved_on', 'result', 'Kết quả giải quyết'),
        step('answered', 'answered_on', 'answer', 'Cơ quan trả lời')],
    },
    'don-thu': {
      agencies: ['steps.transferred.agency'],
      outcome: [step('settled', 'settled_on', 'outcome', 'Kết quả giải quyết')],
    },
    'kien-nghi-giam-sat': {
      agencies: ['opened.addressed_to'],
      outcome: [step('implemented', 'implemented_on', 'note', 'Đã thực hiện'),
        (i) => (!i.steps || !i.steps.implemented ? { label: 'Hạn thực hiện', date: at(i, 'opened.deadline') } : null)],
    },
    'giam-sat': {
      units: ['opened.supervised_units'],
      outcome: [step('finished', 'finished_on', 'findings', 'Kết quả giám sát')],
    },
    'cuoc-hop': {
      outcome: [(i) => (i.cancellation ? { label: 'Đã hủy', date: i.cancellation.cancelled_on, text: i.cancellation.reason } : null)],
    },
    'nhiem-vu': {
      outcome: [(i) => {
        const last = (i.history || []).at(-1);
        return last ? { label: window.HDND_LABELS.stages[last.status] || last.status, date: last.changed_on, text: last.note } : null;
      }],
    },
    'de-xuat-nhan': { units: ['raised_by'], outcome: [answer('Đã trả lời')] },
    'de-xuat-gui': { units: ['to_unit'], outcome: [answer('Trả lời')] },
    'bao-cao': {
      outcome: [(i) => (i.due_on
        ? { label: i.filed_on <= i.due_on ? 'Gửi đúng hạn' : 'Gửi muộn', text: `Hạn gửi ${fromIso(i.due_on)}` } : null)],
    },
  };

  // The unit codes a list's items name (who they are from or for, who answered), with the
  // era of each item's day: what one lookup must name.
  function codes(items, list) {
    const rows = ROWS[list.key] || {};
    const found = new Set();
    for (const item of items) {
      const era = eraOf(item[list.date]);
      const named = (rows.units || []).flatMap((f) => [].concat(at(item, f) || []));
      for (const line of outcomes(item, list)) if (line.unit) named.push(line.unit);
      for (const code of named) found.add(`${era}:${code}`);
    }
    return [...found];
  }

  // What each item shows as its answer or outcome: [{label, date, text, unit}], most final first.
  function outcomes(item, list) {
    return ((ROWS[list.key] || {}).outcome || []).map((f) => f(item)).filter(Boolean)
      .map((l) => ({ label: l.label, date: l.date ?? null, text: l.text ?? null, unit: l.unit ?? null }));
  }

  // The other parties of an item: [{code, era}] for units, [{agency}] for agencies.
  function parties(item, list) {
    const rows = ROWS[list.key] || {};
    const era = eraOf(item[list.date]);
    const units = (rows.units || []).flatMap((f) => [].concat(at(item, f) || [])).map((code) => ({ code, era }));
    const agency = (rows.agencies || []).map((f) => at(item, f)).find((v) => v);
    return agency ? [...units, { agency }] : units;
  }

  // Fetch the names of the units `items` name that are not known yet (one request).
  async function learn(items, list, api) {
    const missing = codes(items, list).filter((k) => !names[k]);
    if (!missing.length) return;
    try {
      const found = await api('reporting', '/workspace/units', { codes: [...new Set(missing.map((k) => k.split(':')[1]))].join(',') });
      for (const u of found) names[`${u.era}:${u.code}`] = u.name;
      localStorage.setItem(STORE, JSON.stringify(names));
    } catch (_) { /* offline: the names known from before, else the codes */ }
  }

  function unitName(code, era) {
    return h('span', { class: 'unit-name', title: `Mã đơn vị: ${code}` }, names[`${era}:${code}`] || code);
  }

  // Who an item is from or for, by name; null when it names nobody.
  function party(item, list) {
    const shown = parties(item, list).map((p) => (p.agency ? p.agency : unitName(p.code, p.era)));
    return shown.length ? h('span', { class: 'party' }, shown.flatMap((el, n) => (n ? [', ', el] : [el]))) : null;
  }
  function partyCell(item, list) { return h('td', {}, party(item, list)); }

  // The outcome lines of a row; a long text is cut, with "Xem" to read it whole in place.
  function outcomeCell(item, list) {
    const lines = outcomes(item, list);
    const era = eraOf(item[list.date]);
    return h('td', { class: 'outcome' }, lines.length ? lines.map((line) => {
      const text = line.text ? String(line.text) : '';
      const body = h('span', { class: 'outcome-text' }, text.length > SHORT ? `${text.slice(0, SHORT)}…` : text);
      const more = text.length > SHORT ? h('button', {
        type: 'button', class: 'link small', 'aria-expanded': 'false',
        onclick: (e) => {
          const open = e.target.getAttribute('aria-expanded') === 'true';
          body.textContent = open ? `${text.slice(0, SHORT)}…` : text;
          e.target.setAttribute('aria-expanded', String(!open));
          e.target.textContent = open ? 'Xem' : 'Thu gọn';
        },
      }, 'Xem') : null;
      return h('div', { class: 'outcome-line' },
        h('strong', {}, line.label), line.date ? ` ${fromIso(line.date)}` : '',
        line.unit ? [' (', unitName(line.unit, era), ')'] : null, text ? ': ' : '', body, more ? ' ' : '', more);
    }) : h('span', { class: 'hint' }, '—'));
  }

  window.WorkspaceRows = { codes, outcomes, parties, learn, party, partyCell, outcomeCell, unitName };
})();

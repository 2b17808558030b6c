// Headline cards and every figure, in groups.

import { CARDS, OTHER_GROUP } from './config.js';
import { el, state } from './state.js';
import { fmt, fmtRate } from './format.js';
import { figureKeys, labelOf, setText } from './render.js';
import { rateKeys, rateMeta } from './rates.js';

export function buildCards() {
  el.cards.replaceChildren(...CARDS.map((c) => {
    const card = document.createElement('article');
    card.className = 'card';
    card.dataset.key = c.key;
    const h = document.createElement('h3');
    h.textContent = c.title || labelOf(c.key);
    const value = document.createElement('p');
    value.className = 'card-value';
    value.textContent = '—';
    card.append(h, value);
    const sub = document.createElement('p');
    sub.className = 'card-sub';
    if (c.sub) {
      const v = document.createElement('span');
      v.className = 'v';
      v.textContent = '—';
      sub.append(v, ` ${c.subLabel}`);
    }
    card.append(sub);
    const own = document.createElement('p');
    own.className = 'card-own';
    const ov = document.createElement('span');
    ov.className = 'v';
    ov.textContent = '—';
    own.append('Của HĐND cấp này: ', ov);
    card.append(own);
    return card;
  }));
}

export function renderCards(d, flash) {
  const f = d.figures || {};
  const own = d.own || {};
  for (const card of el.cards.children) {
    const c = CARDS.find((x) => x.key === card.dataset.key);
    setText(card.querySelector('h3'), c.title || labelOf(c.key));
    setText(card.querySelector('.card-value'), fmt(f[c.key] || 0), flash);
    if (c.sub) setText(card.querySelector('.card-sub .v'), fmt(f[c.sub] || 0), flash);
    setText(card.querySelector('.card-own .v'), fmt(own[c.key] || 0), flash);
  }
}

// ---- every figure, in groups ----------------------------------------------------------------

export function reportIndex(key) {
  const keys = state.labels ? [...state.labels.keys()] : [];
  const i = keys.indexOf(key);
  return i < 0 ? keys.length : i;
}

// [{title, keys}] in the catalogue's order, then "Chỉ tiêu khác" for keys it does not group;
// empty groups are left out.
export function groupedKeys(d) {
  const grouped = new Set(state.groups.flatMap((g) => g.figures));
  const other = figureKeys(d).filter((k) => !grouped.has(k));
  return [...state.groups, { title: OTHER_GROUP, figures: other }]
    .filter((g) => g.figures.length)
    .map((g) => ({ title: g.title, keys: g.figures }));
}

// Each rate goes in its group (that of the figure it counts).
function ratesByGroup(d, groups) {
  const { head, rest } = rateKeys(d);
  const out = new Map(groups.map((g) => [g.title, []]));
  for (const k of [...head, ...rest]) {
    const shown = out.get(rateMeta(k).group);
    if (shown) shown.push(k);
  }
  return out;
}

export function renderAll(d, flash) {
  const groups = groupedKeys(d);
  const rates = ratesByGroup(d, groups);
  const sig = JSON.stringify(groups.map((g) => [g.title, g.keys.map((k) => labelOf(k)),
    rates.get(g.title).map((k) => rateMeta(k).label)]));
  if (el.allTable.dataset.sig !== sig) {
    el.allTable.dataset.sig = sig;
    for (const tb of [...el.allTable.tBodies]) tb.remove();
    // A row of a figure or a rate: its label, then the cells of the unit's total and of its
    // own council, filled below.
    const addRow = (tb, label) => {
      const tr = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = label;
      const total = document.createElement('td');
      total.className = 'num total';
      const own = document.createElement('td');
      own.className = 'num own';
      tr.append(name, total, own);
      tb.append(tr);
      return [tr, name];
    };
    for (const g of groups) {
      const tb = document.createElement('tbody');
      const head = document.createElement('tr');
      head.className = 'group';
      const th = document.createElement('th');
      th.scope = 'rowgroup';
      th.colSpan = 3;
      th.textContent = g.title;
      head.append(th);
      tb.append(head);
      g.keys.forEach((k, i) => {
        const [tr, name] = addRow(tb, labelOf(k));
        tr.dataset.key = k;
        const sub = g.keys.slice(0, i).some((parent) => k.startsWith(parent + '_'));
        if (!sub && i > 0) tr.className = 'top';
        if (sub) name.className = 'sub';
      });
      for (const k of rates.get(g.title)) {
        const [tr] = addRow(tb, rateMeta(k).label);
        tr.dataset.rate = k;
        tr.className = 'rate-row top';
      }
      el.allTable.append(tb);
    }
    flash = false;
  }
  const f = d.figures || {};
  const o = d.own || {};
  const r = d.rates || {};
  for (const tb of el.allTable.tBodies) {
    let any = false;
    for (const tr of tb.rows) {
      const [total, own] = [tr.children[1], tr.children[2]];
      if (tr.dataset.key) {
        const k = tr.dataset.key;
        setText(total, fmt(f[k] || 0), flash);
        setText(own, fmt(o[k] || 0), flash);
        total.classList.toggle('zero', !f[k]);
        own.classList.toggle('zero', !o[k]);
        tr.classList.toggle('is-zero', !f[k] && !o[k]);
        if (f[k] || o[k]) any = true;
      } else if (tr.dataset.rate) {
        const v = r[tr.dataset.rate];
        const none = v === null || v === undefined;
        setText(total, fmtRate(v, rateMeta(tr.dataset.rate).percent), flash);
        total.classList.toggle('zero', none);
        tr.classList.toggle('is-zero', none);
      }
    }
    tb.classList.toggle('is-zero', !any);
  }
}

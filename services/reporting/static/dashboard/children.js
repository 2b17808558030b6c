// The child units' table.

import { CHILD_COLUMNS } from './config.js';
import { el, state } from './state.js';
import { fmt, lcFirst } from './format.js';
import { urlFor } from './navigation.js';
import { labelOf, setText } from './render.js';

// The country over a period across the reform lists a code twice (a 1990s province and a
// 2025 one may share it): rows are told apart by era, and the legacy one is named so.
const rowId = (c) => `${c.code}|${c.era || ''}`;
export const mixedEras = (kids) => new Set(kids.map((c) => c.code)).size !== kids.length;
export const childName = (c, mixed) => (mixed && c.era === 'legacy' ? `${c.name} (trước 01/7/2025)` : c.name);

const COLUMNS = [{ key: 'name', title: 'Đơn vị' }, { key: 'code', title: 'Mã' }, ...CHILD_COLUMNS];

export function buildChildHead() {
  el.childHead.replaceChildren(...COLUMNS.map((c) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.dataset.key = c.key;
    if (c.key !== 'name' && c.key !== 'code') th.className = 'num';
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'sort';
    th.append(b);
    return th;
  }));
  nameColumns();
  syncSortHeaders();
}

// A column without a title of its own is named by its figure's label (GET figures).
function nameColumns() {
  COLUMNS.forEach((c, i) => {
    const b = el.childHead.children[i].firstChild;
    const title = c.title || labelOf(c.key);
    setText(b, title);
    b.title = `Sắp xếp theo ${lcFirst(title)}`;
  });
}

export function syncSortHeaders() {
  for (const th of el.childHead.children) {
    if (th.dataset.key === state.sort.key) {
      th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
    } else {
      th.removeAttribute('aria-sort');
    }
  }
}

function sortedChildren(d) {
  const { key, dir } = state.sort;
  const rows = [...(d.children || [])];
  const byCode = (a, b) => a.code.localeCompare(b.code) || rowId(a).localeCompare(rowId(b));
  rows.sort((a, b) => {
    let c;
    if (key === 'code') c = byCode(a, b);
    else if (key === 'name') c = a.name.localeCompare(b.name, 'vi');
    else c = ((a.figures || {})[key] || 0) - ((b.figures || {})[key] || 0);
    return c * dir || byCode(a, b);
  });
  return rows;
}

export function renderChildren(d, flash) {
  nameColumns();
  const kids = sortedChildren(d);
  const mixed = mixedEras(kids);
  const none = kids.length === 0;
  el.noChildren.hidden = !none;
  el.childWrap.hidden = none;
  el.childHint.hidden = none;
  setText(el.childCount, none ? '' : `(${kids.length})`);
  const sig = kids.map(rowId).join(',');
  if (el.childBody.dataset.sig !== sig) {
    el.childBody.dataset.sig = sig;
    el.childBody.replaceChildren(...kids.map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.code = c.code;
      tr.dataset.row = rowId(c);
      const name = document.createElement('td');
      name.className = 'name';
      const a = document.createElement('a');
      a.dataset.code = c.code;
      name.append(a);
      const code = document.createElement('td');
      code.className = 'code';
      tr.append(name, code, ...CHILD_COLUMNS.map(() => {
        const td = document.createElement('td');
        td.className = 'num';
        return td;
      }));
      return tr;
    }));
    flash = false;
  }
  const byRow = new Map(kids.map((c) => [rowId(c), c]));
  for (const tr of el.childBody.children) {
    const c = byRow.get(tr.dataset.row);
    const a = tr.children[0].firstChild;
    setText(a, childName(c, mixed));
    const href = urlFor(c.code, state.period, state.figure);
    if (a.getAttribute('href') !== href) a.setAttribute('href', href);
    setText(tr.children[1], c.code);
    CHILD_COLUMNS.forEach((col, i) => {
      const td = tr.children[i + 2];
      const v = (c.figures || {})[col.key] || 0;
      setText(td, fmt(v), flash);
      td.classList.toggle('zero', !v);
    });
  }
}

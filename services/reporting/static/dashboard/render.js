// Rendering a summary in place (so the 5-second refresh never flickers), the trail, and
// the note on the view (as it was, or mapped onto today's units).

import { LEVELS, VIEWS } from './config.js';
import { el, state } from './state.js';
import { fmt } from './format.js';
import { periodLabel } from './periods.js';
import { urlFor } from './navigation.js';
import { renderReport } from './report.js';
import { renderRates } from './rates.js';
import { renderAll, renderCards, reportIndex } from './figures.js';
import { renderChildren } from './children.js';
import { drawChart, drawProgress, fillFigureSelect } from './charts.js';

export function setText(node, text, flash) {
  if (node.textContent === text) return;
  node.textContent = text;
  if (flash) {
    node.classList.remove('changed');
    void node.offsetWidth;   // restart the animation
    node.classList.add('changed');
  }
}

export function labelOf(key) {
  return (state.labels && state.labels.get(key)) || key;
}

export function figureKeys(d) {
  const keys = state.labels ? [...state.labels.keys()] : [];
  for (const k of Object.keys(d.figures || {})) if (!keys.includes(k)) keys.push(k);
  return keys;
}


export function render(d, flash) {
  state.data = d;
  el.prompt.hidden = true;
  el.result.hidden = false;
  const u = d.unit;
  const view = d.view || state.view;
  setText(el.unitName, u.name);
  if (u.level === 'country') {
    const n = (d.children || []).length;
    setText(el.unitMeta, `${LEVELS.country} · ${n} tỉnh, thành phố · ${VIEWS[view] || view}`);
  } else {
    const era = u.era === 'legacy' ? 'đơn vị hành chính trước ngày 01/7/2025'
      : 'đơn vị hành chính từ ngày 01/7/2025';
    setText(el.unitMeta, `${LEVELS[u.level] || u.level} · Mã ${u.code} · ${era} · ${VIEWS[view] || view}`);
  }
  const p = d.period || {};
  setText(el.periodLabel, p.label || periodLabel(state.period));
  const ym = (s) => (s ? `${s.slice(5)}/${s.slice(0, 4)}` : '');
  setText(el.periodRange, p.from && p.to
    ? (p.from === p.to ? `Tháng ${ym(p.from)}` : `Tháng ${ym(p.from)} – ${ym(p.to)}`) : '');
  document.title = `${u.name} · ${p.label || state.period} · Số liệu hoạt động HĐND`;
  // The country has no council of its own: no "Của HĐND cấp này".
  el.result.classList.toggle('no-own', !d.own);
  renderTrail();
  renderViewNote(d);
  renderRates(d, flash);
  renderCards(d, flash);
  renderAll(d, flash);
  if (!state.labels || el.figure.options.length === 0) fillFigureSelect();
  renderChildren(d, flash);
  drawChart();
  drawProgress();
  renderReport();
  if (state.focusHeading) {
    state.focusHeading = false;
    el.unitName.focus();
  }
}

export function renderTrail() {
  const ol = el.trail.querySelector('ol');
  const sig = JSON.stringify([
    state.trail, state.data.unit.name, state.period, state.figure, state.view, state.topic,
  ]);
  if (ol.dataset.sig === sig) return;
  ol.dataset.sig = sig;
  el.trail.hidden = state.trail.length === 0;
  const items = state.trail.map((t) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = urlFor(t.code, state.period, state.figure);
    a.textContent = t.name;
    a.dataset.code = t.code;
    li.append(a);
    return li;
  });
  const here = document.createElement('li');
  here.textContent = state.data.unit.name;
  here.setAttribute('aria-current', 'page');
  ol.replaceChildren(...items, here);
}

// ---- the view: as it was, or mapped onto today's units ------------------------------------

const RULE_TEXT = 'Quy tắc phân bổ: xã, phường, thị trấn cũ được chia cho nhiều đơn vị mới thì'
  + ' toàn bộ số liệu của đơn vị cũ được tính vào đơn vị kế thừa mặc định (theo bảng chuyển đổi'
  + ' chính thức); số liệu của chính HĐND cấp huyện đã giải thể chỉ được tính vào tỉnh.';
const MAX_ATTRIBUTIONS = 10;

function unitNameOf(d, code) {
  if (d.unit && d.unit.code === code) return `${d.unit.name} (mã ${code})`;
  const c = (d.children || []).find((x) => x.code === code);
  return c ? `${c.name} (mã ${code})` : `đơn vị có mã ${code}`;
}

function spansReform(d) {
  const p = d.period || {};
  return Boolean(p.from && p.to && p.from < '2025-07' && p.to >= '2025-07');
}

function renderViewNote(d) {
  const view = d.view || state.view;
  const placed = Array.isArray(d.attributed_by_rule) ? d.attributed_by_rule : [];
  const sig = JSON.stringify([view, d.unit.code, d.rule || '', placed, spansReform(d)]);
  if (el.viewNote.dataset.sig === sig) return;
  el.viewNote.dataset.sig = sig;
  const parts = [];
  const para = (text, cls) => {
    const p = document.createElement('p');
    p.textContent = text;
    if (cls) p.className = cls;
    parts.push(p);
  };
  if (view === 'as_today') {
    para('Số liệu theo đơn vị hành chính hiện nay: số liệu phát sinh trước ngày 01/7/2025 được'
      + ' cộng vào đơn vị hành chính hiện nay kế thừa đơn vị cũ.');
    if (d.rule) para(RULE_TEXT, 'muted');
    if (placed.length) {
      para(`Trong kỳ này, số liệu của ${placed.length} đơn vị cũ được phân bổ theo quy tắc trên:`);
      const ul = document.createElement('ul');
      for (const a of placed.slice(0, MAX_ATTRIBUTIONS)) {
        const li = document.createElement('li');
        const also = (a.also_divided_into || []).map((c) => unitNameOf(d, c));
        const figs = Object.entries(a.figures || {}).filter(([, v]) => v)
          .sort(([x], [y]) => reportIndex(x) - reportIndex(y)).slice(0, 3)
          .map(([k, v]) => `${labelOf(k)}: ${fmt(v)}`);
        li.textContent = `${a.legacy_name} (mã ${a.legacy_unit}): tính vào ${unitNameOf(d, a.attributed_to)}`
          + (also.length ? `; một phần địa bàn nay thuộc ${also.join(', ')}` : '')
          + (figs.length ? ` (${figs.join('; ')}${Object.keys(a.figures || {}).length > 3 ? '; …' : ''})` : '')
          + '.';
        ul.append(li);
      }
      if (placed.length > MAX_ATTRIBUTIONS) {
        const li = document.createElement('li');
        li.textContent = `… và ${placed.length - MAX_ATTRIBUTIONS} đơn vị cũ khác.`;
        ul.append(li);
      }
      parts.push(ul);
    }
  } else if (spansReform(d)) {
    para('Kỳ báo cáo gồm thời gian trước và sau ngày 01/7/2025: mỗi số liệu được tính cho đơn vị'
      + ' hành chính tại thời điểm phát sinh. Chọn “Theo đơn vị hành chính hiện nay” để quy toàn bộ'
      + ' số liệu về đơn vị hiện nay.');
  }
  el.viewNote.replaceChildren(...parts);
  el.viewNote.hidden = parts.length === 0;
}

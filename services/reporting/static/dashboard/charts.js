// Charts: the children compared on one figure, and each child's items by state.

import { OTHER_GROUP, SVG_NS, TOPICS } from './config.js';
import { el, state } from './state.js';
import { fmt, lcFirst } from './format.js';
import { labelOf } from './render.js';
import { groupedKeys } from './figures.js';
import { childName, mixedEras } from './children.js';

export function fillFigureSelect() {
  const groups = groupedKeys(state.data || { figures: {} });
  if (!groups.some((g) => g.keys.includes(state.figure))) {
    groups.push({ title: OTHER_GROUP, keys: [state.figure] });
  }
  const sig = JSON.stringify(groups.map((g) => [g.title, g.keys.map((k) => `${k}=${labelOf(k)}`)]));
  if (el.figure.dataset.sig !== sig) {
    el.figure.dataset.sig = sig;
    el.figure.replaceChildren(...groups.map((g) => {
      const og = document.createElement('optgroup');
      og.label = g.title;
      og.append(...g.keys.map((k) => new Option(labelOf(k), k)));
      return og;
    }));
  }
  el.figure.value = state.figure;
  el.figureLabel.dataset.current = labelOf(state.figure);
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Shorten names that do not fit in the label column.
function fitNames(root, labelW) {
  for (const t of root.querySelectorAll('text.name')) {
    const full = t.textContent;
    let n = full.length;
    while (n > 4 && t.getComputedTextLength() > labelW - 4) {
      n -= 1;
      t.textContent = full.slice(0, n).trimEnd() + '…';
    }
  }
}

function chartEmpty(host, text) {
  const p = document.createElement('p');
  p.className = 'chart-empty';
  p.textContent = text;
  host.append(p);
}

// Where a bar chart of `width` puts its rows: names on the left, bars, then a value column
// `valueW` wide.
function barLayout(width, valueW) {
  const labelW = Math.round(Math.min(230, Math.max(110, width * 0.32)));
  const plotX = labelW + 10;
  return { rowH: 30, barH: 20, labelW, plotX, plotW: Math.max(40, width - plotX - valueW) };
}

export function drawChart() {
  const d = state.data;
  const kids = d ? d.children || [] : [];
  el.chartPanel.hidden = kids.length === 0;
  if (kids.length === 0) { state.chartSig = ''; return; }
  const fig = state.figure;
  const mixed = mixedEras(kids);
  const rows = kids
    .map((c) => ({ code: c.code, name: childName(c, mixed), v: Number((c.figures || {})[fig] || 0) }))
    .sort((a, b) => b.v - a.v || a.code.localeCompare(b.code));
  const width = Math.max(260, Math.floor(el.chart.clientWidth || 600));
  const sig = JSON.stringify([fig, labelOf(fig), width, rows]);
  if (sig === state.chartSig) return;
  state.chartSig = sig;

  const { rowH, barH, labelW, plotX, plotW } = barLayout(width, 64);
  const max = Math.max(1, ...rows.map((r) => r.v));
  const height = rows.length * rowH + 4;
  const total = rows.reduce((s, r) => s + r.v, 0);
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': `Biểu đồ thanh: ${labelOf(fig)} của ${rows.length} đơn vị trực thuộc, `
      + `tổng ${fmt(total)}. Số liệu chi tiết có trong bảng đơn vị trực thuộc.`,
  });
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    const w = r.v > 0 ? Math.max(2, (r.v / max) * plotW) : 0;
    const g = svg('g', { class: 'row', 'data-code': r.code });
    g.append(
      svg('title', {}, `${r.name}: ${fmt(r.v)}`),
      svg('text', { class: 'name', x: labelW, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'central' }, r.name),
      svg('rect', { class: 'track', x: plotX, y: y + (rowH - barH) / 2, width: plotW, height: barH, rx: 3 }),
      svg('rect', { class: 'bar', x: plotX, y: y + (rowH - barH) / 2, width: w.toFixed(1), height: barH, rx: 3 }),
      svg('text', { class: 'value', x: plotX + plotW + 8, y: y + rowH / 2, 'dominant-baseline': 'central' }, fmt(r.v)),
    );
    root.append(g);
  });
  el.chart.replaceChildren(root);
  fitNames(root, labelW);
  if (total === 0) chartEmpty(el.chart, `Chưa có số liệu “${labelOf(fig)}” trong kỳ này.`);
}

// Stacked bars: for each child, its total (e.g. opinions received) and the parts of it in
// each state (resolved, pending), straight from the children's figures.
export function drawProgress() {
  const d = state.data;
  const kids = d ? d.children || [] : [];
  el.progressPanel.hidden = kids.length === 0;
  if (kids.length === 0) { state.progressSig = ''; return; }
  const t = TOPICS.find((x) => x.id === state.topic) || TOPICS[0];
  const mixed = mixedEras(kids);
  const rows = kids.map((c) => {
    const f = c.figures || {};
    return {
      code: c.code, name: childName(c, mixed), total: Number(f[t.total] || 0),
      parts: t.parts.map((p) => Number(f[p.key] || 0)),
    };
  }).sort((a, b) => b.total - a.total || b.parts[0] - a.parts[0] || a.code.localeCompare(b.code));
  const width = Math.max(260, Math.floor(el.progress.clientWidth || 600));
  const sig = JSON.stringify([t.id, width, rows]);
  if (sig === state.progressSig) return;
  state.progressSig = sig;

  const legendSig = t.id;
  if (el.legend.dataset.sig !== legendSig) {
    el.legend.dataset.sig = legendSig;
    const item = (cls, text) => {
      const li = document.createElement('li');
      const sw = document.createElement('span');
      sw.className = `swatch ${cls}`;
      sw.setAttribute('aria-hidden', 'true');
      li.append(sw, text);
      return li;
    };
    el.legend.replaceChildren(
      ...t.parts.map((p, i) => item(`seg${i}`, p.name)),
      item('track', `${t.totalName} (cả thanh)`),
    );
  }

  const { rowH, barH, labelW, plotX, plotW } = barLayout(width, 92);
  const sum = (xs) => xs.reduce((s, v) => s + Math.max(0, v), 0);
  const max = Math.max(1, ...rows.map((r) => Math.max(r.total, sum(r.parts))));
  const height = rows.length * rowH + 4;
  const totals = [rows.reduce((s, r) => s + r.total, 0),
    ...t.parts.map((_, i) => rows.reduce((s, r) => s + r.parts[i], 0))];
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': `Biểu đồ thanh xếp chồng: ${t.title} của ${rows.length} đơn vị trực thuộc; `
      + `${lcFirst(t.totalName)} ${fmt(totals[0])}, `
      + t.parts.map((p, i) => `${lcFirst(p.name)} ${fmt(totals[i + 1])}`).join(', ') + '.',
  });
  rows.forEach((r, i) => {
    const y = i * rowH + 2 + (rowH - barH) / 2;
    const g = svg('g', { class: 'row', 'data-code': r.code });
    const tip = `${r.name}: ${lcFirst(t.totalName)} ${fmt(r.total)}; `
      + t.parts.map((p, j) => `${lcFirst(p.name)} ${fmt(r.parts[j])}`).join('; ');
    g.append(
      svg('title', {}, tip),
      svg('text', { class: 'name', x: labelW, y: i * rowH + 2 + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'central' }, r.name),
    );
    if (r.total > 0) {
      g.append(svg('rect', { class: 'total', x: plotX, y, width: ((r.total / max) * plotW).toFixed(1), height: barH, rx: 3 }));
    }
    let x = plotX;
    r.parts.forEach((v, j) => {
      if (v <= 0) return;
      const w = Math.max(2, (v / max) * plotW);
      g.append(svg('rect', { class: `seg${j}`, x: x.toFixed(1), y, width: w.toFixed(1), height: barH }));
      x += w;
    });
    g.append(svg('text', { class: 'value', x: plotX + plotW + 8, y: i * rowH + 2 + rowH / 2, 'dominant-baseline': 'central' },
      `${fmt(r.parts[0])} / ${fmt(r.total)}`));
    root.append(g);
  });
  el.progress.replaceChildren(root);
  fitNames(root, labelW);
  if (totals.every((v) => v === 0)) chartEmpty(el.progress, `Chưa có số liệu “${t.title}” trong kỳ này.`);
}

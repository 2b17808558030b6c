// The URL (unit, period, figure, view), history, and the trail of units above.

import { COUNTRY, DEFAULT_FIGURE, DEFAULT_TOPIC, TOPICS, TRAIL_STORE } from './config.js';
import { el, state, today } from './state.js';
import { load } from './api.js';

export function readUrl() {
  const q = new URLSearchParams(location.search);
  const unit = (q.get('unit') || '').trim();
  const topic = (q.get('topic') || '').trim();
  return {
    unit: unit.toUpperCase() === COUNTRY ? COUNTRY : unit,
    period: (q.get('period') || '').trim() || String(today.getFullYear()),
    figure: (q.get('figure') || '').trim() || DEFAULT_FIGURE,
    view: q.get('view') === 'as_today' ? 'as_today' : 'as_it_was',
    topic: TOPICS.some((t) => t.id === topic) ? topic : DEFAULT_TOPIC,
  };
}

// The address of a unit and period; the view and the chosen topic travel with it.
export function urlFor(unit, period, figure) {
  const q = new URLSearchParams();
  if (unit) q.set('unit', unit);
  q.set('period', period);
  if (state.view !== 'as_it_was') q.set('view', state.view);
  if (figure && figure !== DEFAULT_FIGURE) q.set('figure', figure);
  if (state.topic !== DEFAULT_TOPIC) q.set('topic', state.topic);
  return '?' + q.toString();
}

export function setView(view) {
  state.view = view === 'as_today' ? 'as_today' : 'as_it_was';
  for (const r of el.views) r.checked = r.value === state.view;
}

export function saveTrail() {
  try {
    sessionStorage.setItem(TRAIL_STORE, JSON.stringify({ unit: state.unit, trail: state.trail }));
  } catch (_) { /* storage disabled: the trail lives only in this page */ }
}

export function restoreTrail() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(TRAIL_STORE) || 'null');
    if (saved && saved.unit === state.unit && Array.isArray(saved.trail)) return saved.trail;
  } catch (_) { /* ignore */ }
  return [];
}

// The trail when `unit` is shown next: cut back to it if it is above, extended if it is a child.
export function trailTo(unit) {
  if (unit === state.unit) return state.trail;
  const at = state.trail.findIndex((t) => t.code === unit);
  if (at >= 0) return state.trail.slice(0, at);
  const d = state.data;
  if (d && (d.children || []).some((c) => c.code === unit)) {
    return [...state.trail, { code: d.unit.code, name: d.unit.name }];
  }
  return [];
}

export function go(unit, period, push) {
  const trail = trailTo(unit);
  state.unit = unit;
  state.period = period;
  state.trail = trail;
  saveTrail();
  const url = urlFor(unit, period, state.figure);
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  el.unit.value = unit;
  el.unit.removeAttribute('aria-invalid');
  load();
}

export function drill(code) {
  if (!code || code === state.unit) return;
  state.focusHeading = true;
  go(code, state.period, true);
}

// Rates (computed by the API from summed figures; never from the children).

import { HEADLINE_RATES } from './config.js';
import { el, state } from './state.js';
import { fmt, fmtRate } from './format.js';
import { labelOf, setText } from './render.js';

export function rateMeta(key) {
  const info = state.rateInfo.get(key);
  if (info) return info;
  // A rate this page has no description of (GET rates failed, or a newer API): its key.
  return { label: key, numerator: '', denominator: '', percent: /_(rate|coverage)$/.test(key) };
}

const shortRateLabel = (label) => label.replace(/\s*\(%\)\s*$/, '');

export function rateKeys(d) {
  const known = [...state.rateInfo.keys()];
  for (const k of Object.keys(d.rates || {})) if (!known.includes(k)) known.push(k);
  const head = HEADLINE_RATES.filter((k) => known.includes(k));
  return { head, rest: known.filter((k) => !head.includes(k)) };
}

export function renderRates(d, flash) {
  const rates = d.rates || {};
  const { head, rest } = rateKeys(d);
  el.ratesPanel.hidden = head.length + rest.length === 0;
  const sig = JSON.stringify([head, rest, [...head, ...rest].map((k) => rateMeta(k).label)]);
  if (el.rates.dataset.sig !== sig) {
    el.rates.dataset.sig = sig;
    el.rates.replaceChildren(...head.map((k) => {
      const card = document.createElement('article');
      card.className = 'rate';
      card.dataset.rate = k;
      const h = document.createElement('h4');
      h.textContent = shortRateLabel(rateMeta(k).label);
      const value = document.createElement('p');
      value.className = 'rate-value';
      const meter = document.createElement('div');
      meter.className = 'meter';
      meter.setAttribute('aria-hidden', 'true');
      meter.append(document.createElement('span'));
      meter.hidden = !rateMeta(k).percent;
      const base = document.createElement('p');
      base.className = 'rate-base';
      card.append(h, value, meter, base);
      return card;
    }));
    el.ratesMore.replaceChildren(...rest.map((k) => {
      const row = document.createElement('div');
      row.dataset.rate = k;
      const dt = document.createElement('dt');
      dt.textContent = shortRateLabel(rateMeta(k).label);
      const dd = document.createElement('dd');
      row.append(dt, dd);
      return row;
    }));
    flash = false;
  }
  const f = d.figures || {};
  for (const card of el.rates.children) {
    const k = card.dataset.rate;
    const m = rateMeta(k);
    const v = rates[k];
    const none = v === null || v === undefined;
    const value = card.querySelector('.rate-value');
    setText(value, none ? '—' : fmtRate(v, m.percent), flash);
    value.classList.toggle('none', none);
    card.querySelector('.meter > span').style.width = `${none ? 0 : Math.max(0, Math.min(100, Number(v)))}%`;
    const base = card.querySelector('.rate-base');
    if (none) {
      setText(base, 'Chưa có số liệu để tính trong kỳ này');
      base.title = m.denominator ? `${labelOf(m.denominator)}: 0` : '';
    } else if (m.numerator && m.denominator) {
      setText(base, `${fmt(f[m.numerator] || 0)} / ${fmt(f[m.denominator] || 0)}`, flash);
      base.title = `${labelOf(m.numerator)} / ${labelOf(m.denominator)}`;
    } else {
      setText(base, '');
    }
  }
  for (const row of el.ratesMore.children) {
    const k = row.dataset.rate;
    const m = rateMeta(k);
    const dd = row.lastChild;
    setText(dd, fmtRate(rates[k], m.percent), flash);
    if (m.numerator && m.denominator) {
      row.title = `${labelOf(m.numerator)}: ${fmt(f[m.numerator] || 0)}; `
        + `${labelOf(m.denominator)}: ${fmt(f[m.denominator] || 0)}`;
    }
  }
}

// Periods in the API's forms (2025, 2025-03, 2025-Q3, 2025-H1, 2025-9M, 2021-2026,
// 2025-02..2025-05): parsed, labelled, and read from and written to the form.

import { FIRST_YEAR, LAST_YEAR, ROMAN } from './config.js';
import { el, today } from './state.js';
import { pad2 } from './format.js';

// Council terms (nhiệm kỳ) since the 1994 law as they were (first year → [last year, first
// month]), then every five years from April of the election year (services/reporting/periods.py).
const KNOWN_TERMS = {
  1994: [1999, '1994-12'], 1999: [2004, '1999-12'], 2004: [2011, '2004-05'],
  2011: [2016, '2011-06'], 2016: [2021, '2016-07'], 2021: [2026, '2021-06'],
};
const FIRST_TERM = 1994;
const TERM_YEARS = 5;
const isTermStart = (y) => y in KNOWN_TERMS || (y > 2021 && (y - 2021) % TERM_YEARS === 0);
const termEnd = (y) => (y in KNOWN_TERMS ? KNOWN_TERMS[y][0] : y + TERM_YEARS);
const termFirstMonth = (y) => (y in KNOWN_TERMS ? KNOWN_TERMS[y][1] : `${y}-04`);

function currentTermStart() {
  const month = `${today.getFullYear()}-${pad2(today.getMonth() + 1)}`;
  let start = FIRST_TERM;
  for (let y = FIRST_TERM; y <= today.getFullYear(); y += 1) {
    if (isTermStart(y) && termFirstMonth(y) <= month) start = y;
  }
  return start;
}

export function parsePeriod(text) {
  const t = String(text || '').trim();
  let m;
  const ok = (y) => y >= FIRST_YEAR && y <= LAST_YEAR;
  const okMonth = (mo) => mo >= 1 && mo <= 12;
  if ((m = /^(\d{4})$/.exec(t)) && ok(+m[1])) return { kind: 'year', year: +m[1] };
  if ((m = /^(\d{4})-(\d{2})$/.exec(t)) && ok(+m[1]) && okMonth(+m[2])) {
    return { kind: 'month', year: +m[1], month: +m[2] };
  }
  if ((m = /^(\d{4})-Q([1-4])$/i.exec(t)) && ok(+m[1])) return { kind: 'quarter', year: +m[1], quarter: +m[2] };
  if ((m = /^(\d{4})-H([12])$/i.exec(t)) && ok(+m[1])) return { kind: m[2] === '1' ? 'h1' : 'h2', year: +m[1] };
  if ((m = /^(\d{4})-9M$/i.exec(t)) && ok(+m[1])) return { kind: '9m', year: +m[1] };
  if ((m = /^(\d{4})-(\d{4})$/.exec(t)) && ok(+m[1]) && isTermStart(+m[1]) && +m[2] === termEnd(+m[1])) {
    return { kind: 'term', start: +m[1] };
  }
  m = /^(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})$/.exec(t);
  if (m && ok(+m[1]) && ok(+m[3]) && okMonth(+m[2]) && okMonth(+m[4])) {
    const p = { kind: 'range', fromYear: +m[1], fromMonth: +m[2], toYear: +m[3], toMonth: +m[4] };
    return rangeOk(p) ? p : null;
  }
  return null;
}

export const rangeOk = (p) => p.fromYear * 12 + p.fromMonth <= p.toYear * 12 + p.toMonth;

export function periodKey(p) {
  switch (p.kind) {
    case 'year': return String(p.year);
    case 'month': return `${p.year}-${pad2(p.month)}`;
    case 'quarter': return `${p.year}-Q${p.quarter}`;
    case 'h1': return `${p.year}-H1`;
    case 'h2': return `${p.year}-H2`;
    case '9m': return `${p.year}-9M`;
    case 'term': return `${p.start}-${termEnd(p.start)}`;
    default: return `${p.fromYear}-${pad2(p.fromMonth)}..${p.toYear}-${pad2(p.toMonth)}`;
  }
}

export function firstMonth(p) {
  const start = { year: 1, month: p.month, quarter: 3 * p.quarter - 2, h1: 1, h2: 7, '9m': 1 };
  if (p.kind === 'range') return `${p.fromYear}-${pad2(p.fromMonth)}`;
  if (p.kind === 'term') return termFirstMonth(p.start);
  return `${p.year}-${pad2(start[p.kind])}`;
}

export function periodLabel(text) {
  const p = parsePeriod(text);
  if (!p) return `kỳ ${text}`;
  switch (p.kind) {
    case 'year': return `Năm ${p.year}`;
    case 'month': return `Tháng ${p.month}/${p.year}`;
    case 'quarter': return `Quý ${ROMAN[p.quarter]}/${p.year}`;
    case 'h1': return `6 tháng đầu năm ${p.year}`;
    case 'h2': return `6 tháng cuối năm ${p.year}`;
    case '9m': return `9 tháng đầu năm ${p.year}`;
    case 'term': return `Nhiệm kỳ ${p.start}–${termEnd(p.start)}`;
    default:
      return `Từ tháng ${pad2(p.fromMonth)}/${p.fromYear} đến tháng ${pad2(p.toMonth)}/${p.toYear}`;
  }
}

export function fillOptions(select, items) {
  select.replaceChildren(...items.map(([value, text]) => new Option(text, String(value))));
}

function yearOptions(extra) {
  const years = new Set();
  for (let y = today.getFullYear() + 1; y >= FIRST_TERM; y -= 1) years.add(y);
  for (const y of extra) if (y) years.add(y);
  return [...years].sort((a, b) => b - a).map((y) => [y, String(y)]);
}

function termOptions(extra) {
  const starts = new Set();
  for (let y = FIRST_TERM; y <= today.getFullYear() + 1; y += 1) if (isTermStart(y)) starts.add(y);
  if (extra) starts.add(extra);
  return [...starts].sort((a, b) => b - a)
    .map((y) => [y, `Nhiệm kỳ ${y}–${termEnd(y)}`]);
}

export function writeForm(p) {
  const y = today.getFullYear();
  const mo = today.getMonth() + 1;
  const extra = p ? [p.year, p.fromYear, p.toYear] : [];
  for (const s of [el.year, el.fromYear, el.toYear]) fillOptions(s, yearOptions(extra));
  fillOptions(el.term, termOptions(p && p.start));
  el.term.value = String(p && p.start ? p.start : currentTermStart());
  el.kind.value = p ? p.kind : 'year';
  el.year.value = String(p && p.year ? p.year : (p && p.toYear) || y);
  el.month.value = String(p && p.month ? p.month : mo);
  el.quarter.value = String(p && p.quarter ? p.quarter : Math.ceil(mo / 3));
  el.fromYear.value = String(p && p.fromYear ? p.fromYear : (p && p.year) || y);
  el.fromMonth.value = String(p && p.fromMonth ? p.fromMonth : 1);
  el.toYear.value = String(p && p.toYear ? p.toYear : (p && p.year) || y);
  el.toMonth.value = String(p && p.toMonth ? p.toMonth : mo);
  syncKind();
}

export function readForm() {
  const kind = el.kind.value;
  if (kind === 'range') {
    return {
      kind, fromYear: +el.fromYear.value, fromMonth: +el.fromMonth.value,
      toYear: +el.toYear.value, toMonth: +el.toMonth.value,
    };
  }
  if (kind === 'term') return { kind, start: +el.term.value };
  return { kind, year: +el.year.value, month: +el.month.value, quarter: +el.quarter.value };
}

export function syncKind() {
  const kind = el.kind.value;
  el.fMonth.hidden = kind !== 'month';
  el.fQuarter.hidden = kind !== 'quarter';
  el.fYear.hidden = kind === 'range' || kind === 'term';
  el.fTerm.hidden = kind !== 'term';
  el.fRange.hidden = kind !== 'range';
}

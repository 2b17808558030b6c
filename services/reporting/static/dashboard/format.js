// Numbers, rates and times as Vietnamese readers write them.

// Intl's Vietnamese format with `digits` decimals, if this browser writes `sample` as `expected`
// (null: the functions below fall back to their own).
function vietnamese(digits, sample, expected) {
  try {
    const f = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: digits });
    if (f.format(sample) === expected) return f;
  } catch (_) { /* no Intl: fall back below */ }
  return null;
}

const numberFormat = vietnamese(0, 1234567, '1.234.567');

export function fmt(n) {
  const v = Number(n);
  if (!Number.isFinite(v)) return '—';
  if (numberFormat) return numberFormat.format(v);
  const s = String(Math.round(Math.abs(v))).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return v < 0 ? '-' + s : s;
}
const decimalFormat = vietnamese(1, 1234.5, '1.234,5');

// A rate as the API computed it (one decimal): "41,7%" for a percentage, "12,5" for a mean.
export function fmtRate(v, percent) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const n = Number(v);
  const text = decimalFormat ? decimalFormat.format(n)
    : String(Math.round(n * 10) / 10).replace('.', ',');
  return percent ? `${text}%` : text;
}
export const pad2 = (n) => String(n).padStart(2, '0');
export const clock = (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
export const lcFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);

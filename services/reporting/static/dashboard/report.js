// The periodic report (báo cáo 6 tháng, 9 tháng, năm, nhiệm kỳ) as a document, and its
// sections II and III.

import { COUNTRY } from './config.js';
import { el, state } from './state.js';
import { clock } from './format.js';
import { parsePeriod } from './periods.js';
import { showMessage } from './messages.js';
import { apiFetch } from './api.js';

const REPORT_KINDS = new Set(['h1', '9m', 'year', 'term']);
let sectionsOf = '';   // "unit|period" whose sections II and III the form holds
let sectionsNumber = null;

function reportable() {
  const p = parsePeriod(state.period);
  return Boolean(state.unit && state.unit !== COUNTRY && p && REPORT_KINDS.has(p.kind));
}

export function renderReport() {
  const ok = reportable();
  el.reportActions.hidden = !ok;
  el.reportBox.hidden = !ok;
  if (ok && sectionsOf !== `${state.unit}|${state.period}`) {
    el.reportBox.open = false;
    el.sectionsStatus.textContent = '';
  }
}

function reportPath(what) {
  return `units/${encodeURIComponent(state.unit)}/${what}?period=${encodeURIComponent(state.period)}`;
}

async function callReport(url, options) {
  const res = await apiFetch(url, options);
  if (res.ok) return res;
  let text;
  if (res.status === 401) text = 'Mã truy cập không hợp lệ hoặc đã hết hạn. Hãy nhập mã truy cập mới.';
  else if (res.status === 403 && options && options.method === 'PUT') {
    text = 'Chỉ mã truy cập của cán bộ giúp việc (thư ký) đơn vị này hoặc cấp trên mới lưu được nội dung báo cáo.';
  } else if (res.status === 403) text = `Mã truy cập này không được xem báo cáo của đơn vị ${state.unit}.`;
  else text = `Không lập được báo cáo (mã ${res.status}).`;
  showMessage(text, true);
  return null;
}

el.reportDocx.addEventListener('click', async () => {
  const res = await callReport(`${reportPath('report')}&view=${state.view}&format=docx`);
  if (!res) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = `BC-${state.period}-${state.unit}.docx`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
});

el.reportHtml.addEventListener('click', async () => {
  const win = window.open('', '_blank');   // opened now, while the click still allows it
  const res = await callReport(`${reportPath('report')}&view=${state.view}&format=html`);
  if (!res) { if (win) win.close(); return; }
  const url = URL.createObjectURL(await res.blob());
  if (win) win.location.href = url; else location.href = url;
});

el.reportBox.addEventListener('toggle', async () => {
  const key = `${state.unit}|${state.period}`;
  if (!el.reportBox.open || sectionsOf === key) return;
  const res = await callReport(reportPath('report/sections'));
  if (!res) return;
  const body = await res.json();
  el.shortcomings.value = body.shortcomings || '';
  el.directions.value = body.directions || '';
  sectionsNumber = body.number;
  sectionsOf = key;
  el.sectionsStatus.textContent = body.prefilled ? 'Phần III đang được điền sẵn từ chương trình công tác.' : '';
});

el.sectionsSave.addEventListener('click', async () => {
  const body = {
    shortcomings: el.shortcomings.value.trim() || null,
    directions: el.directions.value.trim() || null,
    number: sectionsNumber,
  };
  const res = await callReport(reportPath('report/sections'), {
    method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (res) el.sectionsStatus.textContent = `Đã lưu lúc ${clock(new Date())}.`;
});

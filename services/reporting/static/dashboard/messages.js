// Messages, the "updated" badge and the prompt.

import { REFRESH_MS, VIEWS } from './config.js';
import { el, state } from './state.js';
import { clock, lcFirst } from './format.js';
import { firstMonth, parsePeriod, periodLabel } from './periods.js';
import { go, setView } from './navigation.js';

// `action`, if given, is a button after the text: {label, run}.
export function showMessage(text, warn, action) {
  el.message.classList.toggle('warn', Boolean(warn));
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = action.label;
    b.addEventListener('click', action.run);
    el.message.replaceChildren(text, b);
  } else if (el.message.textContent !== text || el.message.children.length) {
    el.message.textContent = text;
  }
  el.message.hidden = false;
}

export function hideMessage() {
  el.message.hidden = true;
  el.message.textContent = '';
}

export function setBadge(text, mode) {
  if (el.updatedText.textContent !== text) el.updatedText.textContent = text;
  el.updated.classList.toggle('live', mode === 'live');
  el.updated.classList.toggle('stale', mode === 'stale');
}

export function showPrompt() {
  state.data = null;
  state.shownKey = '';
  el.result.hidden = true;
  el.prompt.hidden = false;
  setBadge('Chưa có số liệu', '');
  document.title = 'Số liệu hoạt động HĐND';
}

export function showProblem(status, body) {
  const locs = (body && Array.isArray(body.detail) ? body.detail : [])
    .map((d) => (Array.isArray(d.loc) ? d.loc.join('.') : String(d.loc || '')));
  const msg = (body && Array.isArray(body.detail) && body.detail[0] && body.detail[0].msg) || '';
  let text;
  let action = null;
  if (status === 404 && state.view === 'as_today') {
    // "unit 106 no longer exists; as today its figures are 12's" / "no unit 106 exists today"
    const now = /figures are (\d{2,5})'s/.exec(msg);
    if (now) {
      text = `Đơn vị có mã ${state.unit} không còn tồn tại sau sắp xếp đơn vị hành chính;`
        + ` theo đơn vị hành chính hiện nay, số liệu của đơn vị này thuộc đơn vị có mã ${now[1]}.`;
      action = { label: `Xem đơn vị ${now[1]}`, run: () => go(now[1], state.period, true) };
    } else {
      text = `Không có đơn vị có mã ${state.unit} trong danh mục đơn vị hành chính hiện nay`
        + ' (từ ngày 01/7/2025). Hãy chọn cách tính “Như thời điểm phát sinh” để xem số liệu của đơn vị cũ.';
      action = { label: VIEWS.as_it_was, run: () => { setView('as_it_was'); go(state.unit, state.period, false); } };
    }
  } else if (status === 404) {
    text = `Không tìm thấy đơn vị có mã ${state.unit} trong ${lcFirst(periodLabel(state.period))}.`;
    const p = parsePeriod(state.period);
    if (state.unit.length === 3 && p && firstMonth(p) >= '2025-07') {
      text += ' Từ ngày 01/7/2025 không còn cấp huyện: hãy chọn kỳ báo cáo trước ngày này.';
    }
  } else if (locs.some((l) => l.includes('period'))) {
    text = 'Kỳ báo cáo không hợp lệ. Hãy chọn lại loại kỳ và thời gian.';
  } else if (locs.some((l) => l.includes('unit'))) {
    text = 'Mã đơn vị không hợp lệ: dùng 2 chữ số cho tỉnh, 3 chữ số cho huyện hoặc 5 chữ số cho xã.';
  } else {
    text = 'Yêu cầu không hợp lệ. Hãy kiểm tra lại đơn vị và kỳ báo cáo.';
  }
  showPrompt();
  el.prompt.hidden = true;
  showMessage(text, false, action);
}

export function showStale(reason) {
  let text = `${reason} Đang thử lại sau ${REFRESH_MS / 1000} giây…`;
  if (state.data && state.lastOk) text += ` Số liệu đang hiển thị là của lúc ${clock(state.lastOk)}.`;
  showMessage(text, true);
  setBadge(state.lastOk ? `Chưa cập nhật được · số liệu lúc ${clock(state.lastOk)}` : 'Chưa cập nhật được', 'stale');
}

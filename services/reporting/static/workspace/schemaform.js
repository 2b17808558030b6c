// A small generic JSON Schema → HTML form renderer for the services' OpenAPI request bodies.
// It knows JSON Schema, not hdnd's models: objects, $ref, anyOf [X, null] (optional), oneOf with
// a discriminator (a choice of kind), enums, dates (typed dd/mm/yyyy, sent ISO), integers,
// booleans, arrays (add / remove items), long text, and strings with the unit-code pattern
// (a unit picker that searches by name). Optional `*_id` strings are stable client ids, made
// once per form so a retried send is idempotent. Labels come from HDND_LABELS.
'use strict';

(function () {
  const L = window.HDND_LABELS;
  const UNIT_PATTERN = '^(\\d{2}|\\d{3}|\\d{5})$';

  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid);
    return e;
  }

  function newId(prefix) {
    const rnd = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now());
    return `${prefix}-${rnd}`;
  }

  function fieldLabel(name) {
    return L.fields[name] || name;
  }

  function enumLabel(enumName, field, value) {
    return L.enums[`${enumName}.${value}`] || L.enums[`${field}.${value}`] || L.enums[value] || value;
  }

  // dd/mm/yyyy ⇄ yyyy-mm-dd
  function toIso(text) {
    const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || '');
    if (!m) return null;
    const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const dt = new Date(Date.UTC(y, mo - 1, d));
    if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
    return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  }
  function fromIso(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
    return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
  }
  function todayText() {
    const now = new Date();
    return `${String(now.getDate()).padStart(2, '0')}/${String(now.getMonth() + 1).padStart(2, '0')}/${now.getFullYear()}`;
  }

  class SchemaForm {
    // components: the OpenAPI document's components.schemas; opts.searchUnits(q) → [units];
    // opts.unitName(code) → Promise<string>; opts.fixed: {prop: value} set and hidden;
    // opts.today: fill required dates with today; opts.decorate: see leaf().
    constructor(schema, components, opts) {
      this.components = components || {};
      this.opts = opts || {};
      this.schema = schema;
      this.root = h('div', { class: 'sf' });
      this.node = this.build(schema, '', null, true);
      this.root.append(this.node.el);
    }

    resolve(s) {
      let name = null;
      while (s && s.$ref) {
        name = s.$ref.split('/').pop();
        s = this.components[name];
      }
      return { s: s || {}, name };
    }

    // A node: { el, get() → value (undefined = leave out), set(v), check() → [path, msg][] }
    build(raw, path, prop, required) {
      const { s: resolved, name } = this.resolve(raw);
      let s = resolved;
      let optional = !required;
      if (s.anyOf) {
        const real = s.anyOf.filter((x) => x.type !== 'null');
        if (real.length === 1) {
          const inner = this.resolve(real[0]);
          s = { ...inner.s, description: s.description || inner.s.description, default: s.default };
          optional = true;
          return this.build({ ...s, _enumName: inner.name || name }, path, prop, !optional);
        }
      }
      const enumName = s._enumName || name;
      if (s.oneOf && s.discriminator) return this.choice(s, path, prop, required);
      if (s.type === 'object' || s.properties) return this.object(s, path, prop, required);
      if (s.type === 'array') return this.array(s, path, prop, required);
      return this.leaf(s, path, prop, required, enumName);
    }

    wrap(prop, required, path, control, help) {
      const id = `f-${path.replace(/\./g, '-') || 'root'}-${Math.random().toString(36).slice(2, 7)}`;
      control.id = id;
      const err = h('p', { class: 'field-error', 'data-error-for': path, hidden: true, role: 'alert' });
      const lab = h('label', { for: id }, fieldLabel(prop), required ? h('span', { class: 'req', title: L.ui.required }, ' *') : null);
      const el = h('div', { class: 'sf-field', 'data-path': path, 'data-field': prop }, lab, control, help ? h('span', { class: 'hint' }, help) : null, err);
      return el;
    }

    leaf(s, path, prop, required, enumName) {
      const fixed = this.opts.fixed || {};
      if (prop in fixed && path === prop) {
        const v = fixed[prop];
        return { el: h('span', { hidden: true }), get: () => v, set() {}, check: () => [] };
      }
      if (s.const !== undefined || (s.enum && s.enum.length === 1 && s.default === s.enum[0])) {
        const v = s.const !== undefined ? s.const : s.enum[0];
        return { el: h('span', { hidden: true }), get: () => v, set() {}, check: () => [] };
      }
      // A client id: made once, so sending again (after a refusal or offline) is the same record.
      if (s.type === 'string' && /_id$/.test(prop || '') && !required) {
        const el = h('span', { hidden: true, 'data-id-field': prop, 'data-id-value': newId(prop.replace(/_id$/, '')) });
        return { el, get: () => el.dataset.idValue, set(x) { if (x) el.dataset.idValue = x; }, check: () => [], renew() { el.dataset.idValue = newId(prop.replace(/_id$/, '')); } };
      }
      if (s.enum) {
        const sel = h('select', { name: path },
          h('option', { value: '' }, L.ui.choose),
          s.enum.map((v) => h('option', { value: v }, enumLabel(enumName, prop, v))));
        if (s.default !== undefined && s.default !== null) sel.value = s.default;
        const el = this.wrap(prop, required, path, sel);
        return {
          el, get: () => (sel.value === '' ? undefined : sel.value), set: (v) => { sel.value = v ?? ''; },
          check: () => (required && sel.value === '' ? [[path, L.ui.required]] : []),
        };
      }
      if (s.type === 'boolean') {
        const box = h('input', { type: 'checkbox', name: path });
        box.checked = s.default === true;
        const el = this.wrap(prop, required, path, box);
        el.classList.add('sf-check');
        return { el, get: () => box.checked, set: (v) => { box.checked = !!v; }, check: () => [] };
      }
      if (s.type === 'integer' || s.type === 'number') {
        const inp = h('input', { type: 'number', name: path, inputmode: 'numeric', min: s.minimum, max: s.maximum, step: s.type === 'integer' ? 1 : 'any' });
        if (s.default !== undefined && s.default !== null) inp.value = s.default;
        const el = this.wrap(prop, required, path, inp);
        return {
          el,
          get: () => (inp.value === '' ? undefined : Number(inp.value)),
          set: (v) => { inp.value = v ?? ''; },
          check: () => (required && inp.value === '' && s.default === undefined ? [[path, L.ui.required]] : []),
        };
      }
      if (s.format === 'date') {
        const inp = h('input', { type: 'text', name: path, placeholder: L.ui.dateFormat, inputmode: 'numeric', autocomplete: 'off', class: 'date' });
        if (this.opts.today && required) inp.value = todayText();
        const el = this.wrap(prop, required, path, inp);
        return {
          el,
          get: () => (inp.value.trim() === '' ? undefined : (toIso(inp.value) || inp.value)),
          set: (v) => { inp.value = fromIso(v) || v || ''; },
          check: () => {
            if (inp.value.trim() === '') return required ? [[path, L.ui.required]] : [];
            return toIso(inp.value) ? [] : [[path, L.ui.badDate]];
          },
        };
      }
      if (s.type === 'string' && s.pattern === UNIT_PATTERN) return this.unitPicker(s, path, prop, required);
      const long = (s.maxLength || 0) > 500 || prop === 'content' || prop === 'findings';
      const inp = long ? h('textarea', { name: path, rows: 3, maxlength: s.maxLength }) : h('input', { type: 'text', name: path, maxlength: s.maxLength });
      const el = this.wrap(prop, required, path, inp);
      // opts.decorate(pattern, input, field): a page's hook on a field by its path, items as []
      if (this.opts.decorate) this.opts.decorate(path.replace(/\.\d+(?=\.|$)/g, '[]'), inp, el);
      return {
        el,
        get: () => (inp.value.trim() === '' ? undefined : inp.value.trim()),
        set: (v) => { inp.value = v ?? ''; },
        check: () => (required && inp.value.trim() === '' ? [[path, L.ui.required]] : []),
      };
    }

    unitPicker(s, path, prop, required) {
      let code = '';
      const inp = h('input', { type: 'search', name: path, placeholder: L.ui.searchUnit, autocomplete: 'off', role: 'combobox', 'aria-autocomplete': 'list' });
      const list = h('ul', { class: 'unit-results', role: 'listbox', hidden: true });
      const chosen = h('span', { class: 'unit-chosen hint' });
      let timer = 0;
      const search = async () => {
        const q = inp.value.trim();
        if (q.length < 2) { list.hidden = true; return; }
        const found = await this.opts.searchUnits(q);
        list.replaceChildren(...found.map((u) => h('li', {
          role: 'option', tabindex: '-1', 'data-code': u.code,
          onmousedown: (e) => { e.preventDefault(); pick(u); },
          onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); pick(u); } },
        }, h('strong', {}, u.name), h('span', { class: 'hint' }, ` ${u.within ? u.within + ' · ' : ''}${u.period}`))));
        list.hidden = found.length === 0;
      };
      const pick = (u) => {
        code = u.code;
        inp.value = u.name;
        chosen.textContent = `${u.within ? u.within + ' · ' : ''}${u.period}`;
        list.hidden = true;
      };
      inp.addEventListener('input', () => { code = ''; chosen.textContent = ''; clearTimeout(timer); timer = setTimeout(search, 200); });
      inp.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowDown' && !list.hidden) { e.preventDefault(); const f = list.querySelector('li'); if (f) f.focus(); }
      });
      inp.addEventListener('blur', () => setTimeout(() => { list.hidden = true; }, 150));
      const box = h('div', { class: 'unit-picker' }, inp, list);
      const el = this.wrap(prop, required, path, box);
      el.querySelector('label').setAttribute('for', inp.id = box.id + '-q');
      el.insertBefore(chosen, el.querySelector('.field-error'));
      return {
        el,
        get: () => code || undefined,
        set: (v) => {
          code = v || '';
          if (!v) { inp.value = ''; return; }
          inp.value = v;
          Promise.resolve(this.opts.unitName && this.opts.unitName(v)).then((n) => { if (n && code === v) inp.value = n; });
        },
        check: () => {
          if (code) return [];
          if (inp.value.trim()) return [[path, 'Hãy chọn đơn vị trong danh sách tìm được']];
          return required ? [[path, L.ui.required]] : [];
        },
      };
    }

    object(s, path, prop, required) {
      const req = new Set(s.required || []);
      const kids = {};
      const box = h('div', { class: path ? 'sf-object' : 'sf-root' });
      for (const [name, sub] of Object.entries(s.properties || {})) {
        const p = path ? `${path}.${name}` : name;
        const node = this.build(sub, p, name, req.has(name));
        kids[name] = node;
        box.append(node.el);
      }
      let el = box;
      if (path && prop) {
        el = h('fieldset', { class: 'sf-group', 'data-path': path }, h('legend', {}, fieldLabel(prop)), box,
          h('p', { class: 'field-error', 'data-error-for': path, hidden: true, role: 'alert' }));
      }
      return {
        el,
        kids,
        get: () => {
          const out = {};
          for (const [k, n] of Object.entries(kids)) {
            const v = n.get();
            if (v !== undefined) out[k] = v;
          }
          // an optional group left empty is left out (the service's default applies)
          return !required && Object.keys(out).length === 0 ? undefined : out;
        },
        set: (v) => { for (const [k, n] of Object.entries(kids)) if (v && k in v) n.set(v[k]); },
        check: () => {
          // an optional group left empty is fine; once started, its own required fields apply
          const started = Object.values(kids).some((n) => n.get() !== undefined);
          return !required && !started ? [] : Object.values(kids).flatMap((n) => n.check());
        },
        renew: () => Object.values(kids).forEach((n) => n.renew && n.renew()),
      };
    }

    array(s, path, prop, required) {
      const items = [];
      const list = h('ol', { class: 'sf-items' });
      const add = h('button', { type: 'button', class: 'secondary small', 'data-add': path }, `${L.ui.add}: ${fieldLabel(prop).replace(/\s*\(.*\)$/, '').toLowerCase()}`);
      const err = h('p', { class: 'field-error', 'data-error-for': path, hidden: true, role: 'alert' });
      const el = h('fieldset', { class: 'sf-group sf-array', 'data-path': path, 'data-field': prop },
        h('legend', {}, fieldLabel(prop), required ? h('span', { class: 'req' }, ' *') : null), list, add, err);
      const renumber = () => items.forEach((it, i) => {
        it.li.dataset.index = i;
        it.li.querySelector('.sf-item-no').textContent = `${i + 1}.`;
        // keep paths of the inputs in step with positions, for error messages
        it.li.querySelectorAll('[data-path]').forEach((n) => { n.dataset.path = n.dataset.path.replace(new RegExp(`^${path.replace(/\./g, '\\.')}\\.\\d+`), `${path}.${i}`); });
        it.li.querySelectorAll('[data-error-for]').forEach((n) => { n.dataset.errorFor = n.dataset.errorFor.replace(new RegExp(`^${path.replace(/\./g, '\\.')}\\.\\d+`), `${path}.${i}`); });
      });
      const addItem = (value) => {
        const i = items.length;
        const itemSchema = this.resolve(s.items || {}).s;
        const isObject = itemSchema.type === 'object' || !!itemSchema.properties;
        const node = this.build(s.items || {}, `${path}.${i}`, isObject ? null : prop, true);
        const li = h('li', { class: 'sf-item' }, h('span', { class: 'sf-item-no' }), node.el,
          h('button', { type: 'button', class: 'link', onclick: () => { const at = items.indexOf(item); items.splice(at, 1); li.remove(); renumber(); } }, L.ui.remove));
        const item = { node, li };
        items.push(item);
        list.append(li);
        if (value !== undefined) node.set(value);
        renumber();
        return item;
      };
      add.addEventListener('click', () => {
        const it = addItem();
        const f = it.li.querySelector('input, select, textarea');
        if (f) f.focus();
      });
      return {
        el,
        get: () => (items.length || required ? items.map((it) => it.node.get()) : undefined),
        set: (v) => { items.splice(0).forEach((it) => it.li.remove()); (v || []).forEach((x) => addItem(x)); },
        check: () => items.flatMap((it) => it.node.check()),
        renew: () => items.forEach((it) => it.node.renew && it.node.renew()),
      };
    }

    // oneOf + discriminator: pick the kind, then the chosen kind's fields.
    choice(s, path, prop, required) {
      const tag = s.discriminator.propertyName;
      const mapping = s.discriminator.mapping || {};
      const kinds = Object.keys(mapping);
      const sel = h('select', { name: path ? `${path}.${tag}` : tag, 'data-choice': tag },
        h('option', { value: '' }, L.ui.choose), kinds.map((k) => h('option', { value: k }, enumLabel(tag, tag, k))));
      const slot = h('div', { class: 'sf-choice-body' });
      const tagPath = path ? `${path}.${tag}` : tag;
      const pickEl = this.wrap(tag, true, tagPath, sel);
      const el = h('div', { class: 'sf-choice', 'data-path': path }, pickEl, slot);
      let current = null;
      const nodes = {};
      const show = (k) => {
        slot.replaceChildren();
        current = null;
        if (!k) return;
        nodes[k] = nodes[k] || this.build({ $ref: mapping[k] }, path, null, true);
        current = nodes[k];
        slot.append(current.el);
      };
      sel.addEventListener('change', () => show(sel.value));
      const fixedKind = (this.opts.fixed || {})[tag];
      if (fixedKind) { sel.value = fixedKind; show(fixedKind); pickEl.hidden = true; }
      return {
        el,
        discriminatorValues: kinds,
        get: () => (current ? current.get() : undefined),
        set: (v) => { if (v && v[tag]) { sel.value = v[tag]; show(v[tag]); current.set(v); } },
        check: () => (current ? current.check() : [[tagPath, L.ui.required]]),
        renew: () => current && current.renew && current.renew(),
      };
    }

    // --- what the page calls ---

    value() { return this.node.get(); }
    fill(v) { this.node.set(v); }
    renewIds() { if (this.node.renew) this.node.renew(); }

    // Problems found before sending: [path, message]
    check() { return this.node.check(); }

    clearErrors() {
      this.root.querySelectorAll('.field-error').forEach((p) => { p.hidden = true; p.textContent = ''; });
      this.root.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
    }

    // Show `msg` next to the field `path` names ("opinions.0.text"), or the nearest enclosing
    // field; return false when no field of this form matches (the page shows it on top).
    showError(path, msg) {
      const parts = path.split('.').filter((x) => x !== '');
      for (let n = parts.length; n > 0; n--) {
        const p = parts.slice(0, n).join('.');
        const slot = this.root.querySelector(`[data-error-for="${CSS.escape(p)}"]`);
        if (slot) {
          slot.hidden = false;
          slot.textContent = slot.textContent ? `${slot.textContent} ${msg}` : msg;
          const ctl = slot.parentElement.querySelector('input, select, textarea');
          if (ctl) ctl.setAttribute('aria-invalid', 'true');
          return true;
        }
      }
      return false;
    }
  }

  SchemaForm.toIso = toIso;
  SchemaForm.fromIso = fromIso;
  SchemaForm.newId = newId;
  SchemaForm.h = h;
  SchemaForm.enumLabel = enumLabel;
  SchemaForm.fieldLabel = fieldLabel;
  window.SchemaForm = SchemaForm;
})();

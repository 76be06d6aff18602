// ConfigMonitor's web UI: our own script, no framework, no build step. It reads the node's JSON API (reads are open) and
// sends changes with the token the user typed, kept in this tab's sessionStorage and sent as the Authorization header
// (never a cookie, so no other site can act for the user). Every text from the API is set with textContent, never as HTML.
'use strict';
(() => {
  const POLL_MS = 3000;
  const SLOW_POLL_MS = 15000;
  const TOKEN_KEY = 'configmonitor.api-token';
  const SVG = 'http://www.w3.org/2000/svg';
  const main = document.getElementById('main');

  // ---------- DOM helpers ----------
  function h(tag, attrs, ...children) {
    const svg = tag.startsWith('svg:');
    const el = svg ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const s = (tag, attrs, ...children) => h('svg:' + tag, attrs, ...children);

  /** Replaces a container's content, keeping the focus on the element with the same data-key, and never while someone types in it. */
  function replace(container, ...children) {
    const active = document.activeElement;
    if (active && container.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) {
      container.dataset.pending = '1';
      container._pending = children;
      return;
    }
    const key = active && container.contains(active) ? active.getAttribute('data-key') : null;
    container.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
    delete container.dataset.pending;
    if (key) {
      const again = [...container.querySelectorAll('[data-key]')].find(e => e.getAttribute('data-key') === key);
      if (again) again.focus();
    }
  }
  document.addEventListener('focusout', e => {
    const box = e.target.closest && e.target.closest('[data-pending]');
    if (!box) return;
    setTimeout(() => {
      if (!box.dataset.pending || box.contains(document.activeElement)) return;
      // Drawn again from the page's state now, not from what was held back (the state may have changed since).
      if (box._redraw) { delete box.dataset.pending; box._redraw(); } else replace(box, box._pending || []);
    }, 0);
  });

  const STATE_WORDS = {
    healthy: 'Healthy', degraded: 'Degraded', unhealthy: 'Unhealthy', not_applicable: 'Not applicable', notApplicable: 'Not applicable',
    unknown: 'Unknown', firing: 'Firing', pending: 'Pending', resolved: 'Resolved', up: 'Up', joining: 'Joining', leaving: 'Leaving',
    exiting: 'Exiting', down: 'Down', removed: 'Removed', weaklyup: 'Weakly up', info: 'Info', warning: 'Warning', critical: 'Critical',
  };
  const stateClass = v => 's-' + String(v || 'unknown').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  const badge = (value, words) => h('span', { class: 'badge ' + stateClass(value), text: (words || STATE_WORDS)[value] || String(value ?? 'unknown') });

  function fmtNum(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return Number(v).toLocaleString('en-US', { maximumFractionDigits: digits });
  }
  function fmtTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const today = new Date().toDateString() === d.toDateString();
    const time = d.toLocaleTimeString('en-GB', { hour12: false });
    return today ? time : d.toLocaleDateString('en-CA') + ' ' + time;
  }
  const timeEl = iso => iso ? h('time', { datetime: iso, title: iso, text: fmtTime(iso) }) : h('span', { class: 'muted', text: 'never' });
  function ago(iso) {
    if (!iso) return '';
    const secs = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (secs < 0) return '';
    if (secs < 90) return secs + ' s ago';
    if (secs < 5400) return Math.round(secs / 60) + ' min ago';
    return Math.round(secs / 3600) + ' h ago';
  }

  /** A table whose rows stack as labelled blocks at phone width. */
  function table(caption, columns, rows, opts = {}) {
    return h('table', { class: 'rows' },
      caption ? h('caption', { class: opts.hideCaption ? 'visually-hidden' : null, text: caption }) : null,
      h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col', class: c.num ? 'num' : null, text: c.title })))),
      h('tbody', {}, rows.map(r => h('tr', {}, columns.map((c, i) => h('td', { 'data-label': c.title, class: c.num ? 'num' : null }, r[i]))))));
  }

  // ---------- the API ----------
  const token = {
    get: () => sessionStorage.getItem(TOKEN_KEY),
    set: t => sessionStorage.setItem(TOKEN_KEY, t),
    clear: () => sessionStorage.removeItem(TOKEN_KEY),
  };
  const cache = new Map(); // path → { etag, data }

  /** GET with If-None-Match: { status, data, changed, problem }. A 304 answers the data seen before. */
  async function get(path) {
    const seen = cache.get(path);
    const headers = { Accept: 'application/json' };
    if (seen && seen.etag) headers['If-None-Match'] = seen.etag;
    let res;
    try {
      res = await fetch(path, { headers, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      return { status: 0, problem: 'the node did not answer (' + e.message + ')' };
    }
    if (res.status === 304 && seen) return { status: 200, data: seen.data, changed: false };
    if (!res.ok) {
      const p = await problemOf(res);
      // A route this node lacks answers 404 with no detail; a route that exists says what it did not find (an unknown target).
      return { status: res.status, problem: p.text, routeMissing: res.status === 404 && !p.detail };
    }
    const data = await res.json();
    const etag = res.headers.get('ETag');
    const before = seen ? JSON.stringify(seen.data) : null;
    cache.set(path, { etag, data });
    return { status: res.status, data, changed: before !== JSON.stringify(data) };
  }

  /** A change: POST or DELETE with the token, if one is set. */
  async function send(method, path, body) {
    const headers = { Accept: 'application/json' };
    const t = token.get();
    if (t) headers.Authorization = 'Bearer ' + t;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      return { ok: false, status: 0, message: 'the node did not answer (' + e.message + ')' };
    }
    if (res.ok) {
      const text = await res.text();
      return { ok: true, status: res.status, data: text ? JSON.parse(text) : null };
    }
    const detail = (await problemOf(res)).text;
    if (res.status === 401 && token.get()) {
      // The token this tab sends was refused: say so where the token is shown, not "in use".
      tokenState.textContent = 'Token refused by the node';
      return { ok: false, status: 401, message: 'Refused (401): the node refused the API token this tab sends — correct it under “API token” at the top and press “Use token”, then try again. The node said: ' + detail };
    }
    if (res.status === 401)
      return { ok: false, status: 401, message: 'Refused (401): this node needs its API token for changes — enter it under “API token” at the top and press “Use token”, then try again. The node said: ' + detail };
    return { ok: false, status: res.status, message: 'Refused (' + res.status + '): ' + detail };
  }

  /** An answer's problem: { text, detail } (detail only when the API said what was wrong). */
  async function problemOf(res) {
    const text = await res.text().catch(() => '');
    if ((res.headers.get('Content-Type') || '').includes('json')) {
      try {
        const p = JSON.parse(text);
        return { text: [p.title, p.detail].filter(Boolean).join(': ') || ('HTTP ' + res.status), detail: p.detail || null };
      } catch { /* not JSON after all: the text below */ }
    }
    return { text: text.trim().slice(0, 300) || ('HTTP ' + res.status), detail: null };
  }

  function notAvailable(what, route) {
    return h('p', { class: 'unavailable', role: 'note' },
      what + ': not available on this node. It has no ', h('code', { text: route }), ' route (an older build); the other pages still work.');
  }
  const messageBox = () => h('div', { class: 'message', role: 'status', 'aria-live': 'polite' });
  function say(box, text, ok) {
    box.className = 'message ' + (ok ? 'ok' : 'error');
    box.setAttribute('role', ok ? 'status' : 'alert');
    box.textContent = text;
  }

  // ---------- live refresh ----------
  let page = null; // { refresh(), every, dispose? }
  let timer = null;
  let busy = false;
  const liveState = document.getElementById('live-state');
  async function tick() {
    if (!page || busy || document.hidden) return;
    busy = true;
    const current = page;
    try {
      await current.refresh();
      if (current === page) liveState.textContent = 'Live · updated ' + new Date().toLocaleTimeString('en-GB', { hour12: false });
    } finally {
      busy = false;
    }
  }
  function schedule() {
    clearInterval(timer);
    timer = null;
    if (document.hidden) {
      liveState.textContent = 'Paused while this tab is hidden';
      return;
    }
    if (page) timer = setInterval(tick, page.every || POLL_MS);
  }
  document.addEventListener('visibilitychange', () => {
    schedule();
    if (!document.hidden) tick();
  });

  // ---------- token ----------
  const tokenForm = document.getElementById('token-form');
  const tokenInput = document.getElementById('token-input');
  const tokenState = document.getElementById('token-state');
  function showToken() { tokenState.textContent = token.get() ? 'Token in use (this tab only)' : 'No token'; }
  tokenForm.addEventListener('submit', e => {
    e.preventDefault();
    const t = tokenInput.value.trim();
    if (t) token.set(t); else token.clear();
    tokenInput.value = '';
    showToken();
  });
  document.getElementById('token-clear').addEventListener('click', () => { token.clear(); tokenInput.value = ''; showToken(); });
  showToken();

  // ---------- alerts (shared by the alerts page and the target page) ----------
  function suppression(text) {
    if (!text) return h('span', { class: 'muted', text: 'no' });
    const [kind, id] = [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)];
    const words = {
      silence: 'Silenced by ' + id, maintenance: 'In maintenance window ' + id, inhibited: 'Inhibited by ' + id,
      grouped: 'Grouped under ' + id, awaiting: 'Awaiting ' + id,
    };
    return h('span', { class: 'badge s-suppressed', text: words[kind] || text });
  }

  /** The alerts as a table with acknowledge / unacknowledge (a comment each) in the last column. */
  function alertTable(alerts, view, opts) {
    const rows = alerts.map(a => {
      const open = view.ackOpen && view.ackOpen.id === a.id;
      const verb = a.acknowledged ? 'Unacknowledge' : 'Acknowledge';
      const actions = h('div', { class: 'actions' });
      if (!open) {
        actions.append(h('button', {
          type: 'button', 'data-key': 'ack-' + a.id, 'aria-label': verb + ' ' + a.id, text: verb,
          onclick: () => { view.ackOpen = { id: a.id, undo: a.acknowledged, comment: '' }; opts.rerender(); focusKey('comment-' + a.id); },
        }));
      } else {
        const inputId = 'comment-' + cssId(a.id) + '-' + opts.scope;
        const input = h('input', { id: inputId, type: 'text', 'data-key': 'comment-' + a.id, value: view.ackOpen.comment, maxlength: 500, autocomplete: 'off' });
        input.addEventListener('input', () => { view.ackOpen.comment = input.value; });
        const form = h('form', { class: 'inline-form', 'aria-label': verb + ' ' + a.id },
          h('div', { class: 'field' }, h('label', { for: inputId, text: (view.ackOpen.undo ? 'Why unacknowledge ' : 'Comment for ') + a.id }), input),
          h('button', { type: 'submit', class: 'primary', 'data-key': 'confirm-' + a.id, text: view.ackOpen.undo ? 'Confirm unacknowledge' : 'Confirm acknowledge' }),
          h('button', { type: 'button', 'data-key': 'cancel-' + a.id, text: 'Cancel', onclick: () => { view.ackOpen = null; opts.rerender(); focusKey('ack-' + a.id); } }));
        form.addEventListener('submit', async e => {
          e.preventDefault();
          const undo = view.ackOpen.undo;
          const body = { comment: view.ackOpen.comment || undefined, by: 'web-ui' };
          const result = await send('POST', '/api/alerts/' + encodeURIComponent(a.id) + (undo ? '/unack' : '/ack'), body);
          if (result.ok) {
            view.ackOpen = null;
            // Out of the comment box first, so the table is drawn again at once (it waits while someone types in it).
            if (form.contains(document.activeElement)) document.activeElement.blur();
            say(opts.messages, a.id + (undo ? ' unacknowledged.' : ' acknowledged.'), true);
            await opts.changed();
            focusKey('ack-' + a.id);
          } else {
            say(opts.messages, result.message, false);
          }
        });
        actions.append(form);
      }
      return [
        h('span', { text: a.id }),
        opts.showTarget ? h('a', { href: '#/targets/' + encodeURIComponent(a.targetId), 'data-key': 'target-' + a.id, text: a.targetId }) : null,
        badge(a.state), badge(a.severity),
        h('span', {}, a.category + ' / ' + a.rule),
        h('span', { text: a.message }),
        timeEl(a.raisedAt),
        suppression(a.suppressedBy),
        a.acknowledged
          ? h('span', {}, badge('ok', { ok: 'Acknowledged' }), ' by ', a.acknowledgedBy || '?', a.acknowledgeComment ? ' — “' + a.acknowledgeComment + '”' : '')
          : h('span', { class: 'muted', text: 'No' }),
        actions,
      ].filter((_, i) => opts.showTarget || i !== 1);
    });
    const columns = [{ title: 'Alert' }, { title: 'Target' }, { title: 'State' }, { title: 'Severity' }, { title: 'Check' }, { title: 'Message' },
      { title: 'Raised' }, { title: 'Suppressed' }, { title: 'Acknowledged' }, { title: 'Actions' }].filter((_, i) => opts.showTarget || i !== 1);
    return table(opts.caption, columns, rows, { hideCaption: true });
  }
  const cssId = id => String(id).replace(/[^A-Za-z0-9_-]/g, '_');
  function focusKey(key) {
    setTimeout(() => {
      const el = [...document.querySelectorAll('[data-key]')].find(e => e.getAttribute('data-key') === key);
      if (el) el.focus();
    }, 0);
  }

  // ---------- pages ----------
  function overviewPage(params) {
    const view = { state: params.get('state') || '', group: params.get('group') || '', q: params.get('q') || '', cursors: [null], groups: [] };
    const counts = h('ul', { class: 'counts', 'aria-label': 'Targets by state' });
    const body = h('div');
    const messages = messageBox();
    const stateSelect = h('select', { id: 'f-state', name: 'state' },
      [['', 'Any state'], ['healthy', 'Healthy'], ['degraded', 'Degraded'], ['unhealthy', 'Unhealthy'], ['not_applicable', 'Not applicable'], ['unknown', 'Unknown']]
        .map(([v, t]) => h('option', { value: v, selected: v === view.state, text: t })));
    const groupSelect = h('select', { id: 'f-group', name: 'group' }, h('option', { value: '', text: 'Any group' }));
    const text = h('input', { id: 'f-q', name: 'q', type: 'search', value: view.q, autocomplete: 'off' });
    const form = h('form', { class: 'form', role: 'search', 'aria-label': 'Filter targets' },
      h('div', { class: 'field' }, h('label', { for: 'f-state', text: 'State' }), stateSelect),
      h('div', { class: 'field' }, h('label', { for: 'f-group', text: 'Group' }), groupSelect),
      h('div', { class: 'field' }, h('label', { for: 'f-q', text: 'Target id contains' }), text),
      h('button', { type: 'submit', class: 'primary', text: 'Filter' }));
    form.addEventListener('submit', e => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (stateSelect.value) q.set('state', stateSelect.value);
      if (groupSelect.value) q.set('group', groupSelect.value);
      if (text.value.trim()) q.set('q', text.value.trim());
      location.hash = '#/' + (q.toString() ? '?' + q : '');
    });
    stateSelect.addEventListener('change', () => form.requestSubmit());
    groupSelect.addEventListener('change', () => form.requestSubmit());
    main.replaceChildren(h('h1', { tabindex: '-1', text: 'Overview' }), counts, form, messages, body);

    function path() {
      const q = new URLSearchParams();
      if (view.state) q.set('state', view.state);
      if (view.group) q.set('group', view.group);
      if (view.q) q.set('q', view.q);
      q.set('limit', '100');
      const cursor = view.cursors[view.cursors.length - 1];
      if (cursor) q.set('cursor', cursor);
      return '/api/status?' + q;
    }
    async function refresh() {
      const r = await get(path());
      if (r.status === 404 && r.routeMissing) return fallback();
      if (r.status !== 200) { say(messages, 'Could not read /api/status: ' + r.problem, false); return; }
      if (!r.changed && body.childElementCount) return;
      messages.className = 'message'; messages.textContent = '';
      const d = r.data;
      const c = d.counts || {};
      counts.replaceChildren(...[['total', 'Total'], ['healthy', 'Healthy'], ['degraded', 'Degraded'], ['unhealthy', 'Unhealthy'],
        ['notApplicable', 'Not applicable'], ['unknown', 'Unknown']].map(([k, t]) =>
        h('li', { class: k }, h('strong', { text: fmtNum(c[k] ?? 0) }), t)));
      const groups = (d.groups || []).slice().sort();
      if (JSON.stringify(groups) !== JSON.stringify(view.groups)) {
        view.groups = groups;
        groupSelect.replaceChildren(h('option', { value: '', text: 'Any group' }),
          ...groups.map(g => h('option', { value: g, selected: g === view.group, text: g })));
      }
      const rows = (d.targets || []).map(t => [
        h('a', { href: '#/targets/' + encodeURIComponent(t.id), text: t.id }), badge(t.state), h('span', { text: t.node || '–' }),
        h('span', {}, timeEl(t.lastProbeAt), t.lastProbeAt ? h('span', { class: 'muted', text: ' (' + ago(t.lastProbeAt) + ')' }) : null),
        h('span', { text: t.group || '–' })]);
      const pageNo = view.cursors.length;
      const pager = h('div', { class: 'pager' },
        h('span', { text: `Page ${pageNo}: ${rows.length} of ${fmtNum(d.matching ?? rows.length)} matching targets` }),
        h('button', { type: 'button', 'data-key': 'prev', disabled: pageNo === 1, text: 'Previous page', onclick: () => { view.cursors.pop(); refresh(); } }),
        h('button', { type: 'button', 'data-key': 'next', disabled: !d.next, text: 'Next page', onclick: () => { view.cursors.push(d.next); refresh(); } }));
      replace(body,
        (d.unansweredNodes || []).length
          ? h('p', { class: 'message error', role: 'note', text: 'No answer from ' + d.unansweredNodes.join(', ') + ': their targets are counted as unknown.' })
          : null,
        rows.length ? table('Targets', [{ title: 'Target' }, { title: 'State' }, { title: 'Node' }, { title: 'Last probe' }, { title: 'Group' }], rows, { hideCaption: true })
          : h('p', { class: 'muted', text: 'No target matches.' }),
        pager);
      // The benchmark's status-page figure reads this mark: counts and the first page's rows are in the DOM (first draw only).
      if (!performance.getEntriesByName('overview-drawn').length) performance.mark('overview-drawn');
    }
    async function fallback() {
      counts.replaceChildren();
      form.hidden = true;
      const list = await get('/api/targets?limit=100');
      const targets = list.status === 200 ? (list.data.items || []) : [];
      replace(body, notAvailable('States of all targets', '/api/status'),
        h('h2', { text: 'Targets' }),
        targets.length ? h('ul', {}, targets.map(t => h('li', {}, h('a', { href: '#/targets/' + encodeURIComponent(t.id), text: t.id }))))
          : h('p', { class: 'muted', text: list.status === 200 ? 'No targets.' : 'Could not read /api/targets: ' + list.problem }));
    }
    return { title: 'Overview', refresh };
  }

  function alertsPage() {
    const view = { show: 'active', cursors: [null], ackOpen: null, silencesAll: false };
    const messages = messageBox();
    const alertsBox = h('div');
    const silencesBox = h('div');
    const windowsBox = h('div');
    const show = h('select', { id: 'alerts-show' }, h('option', { value: 'active', text: 'Active (firing, or resolved and not acknowledged)' }), h('option', { value: 'all', text: 'All retained' }));
    show.addEventListener('change', () => { view.show = show.value; view.cursors = [null]; refreshAlerts(); });

    // Silences: list, create, expire.
    const includeExpired = h('input', { id: 'silences-all', type: 'checkbox' });
    includeExpired.addEventListener('change', () => { view.silencesAll = includeExpired.checked; refreshSilences(); });
    const silenceForm = h('form', { class: 'form', 'aria-label': 'Create a silence' },
      h('div', { class: 'field' }, h('label', { for: 'sil-matchers' }, 'Matchers ', h('small', { text: 'field=value or field=~regex, comma separated; fields: target, category, severity, rule, group' })),
        h('input', { id: 'sil-matchers', name: 'matchers', type: 'text', placeholder: 'target=demo, severity=critical', autocomplete: 'off' })),
      h('div', { class: 'field' }, h('label', { for: 'sil-duration' }, 'Duration ', h('small', { text: 'e.g. 30m, 2h, 1d' })),
        h('input', { id: 'sil-duration', name: 'duration', type: 'text', value: '2h', size: 6, autocomplete: 'off' })),
      h('div', { class: 'field' }, h('label', { for: 'sil-comment', text: 'Comment' }), h('input', { id: 'sil-comment', name: 'comment', type: 'text', autocomplete: 'off' })),
      h('div', { class: 'field' }, h('label', { for: 'sil-by', text: 'Created by' }), h('input', { id: 'sil-by', name: 'by', type: 'text', value: 'web-ui', autocomplete: 'off' })),
      h('button', { type: 'submit', class: 'primary', text: 'Create silence' }));
    silenceForm.addEventListener('submit', async e => {
      e.preventDefault();
      const f = silenceForm.elements;
      const r = await send('POST', '/api/silences', {
        matchers: splitList(f.matchers.value), duration: f.duration.value.trim() || undefined, comment: f.comment.value, createdBy: f.by.value.trim() || undefined,
      });
      if (r.ok) { say(messages, 'Silence ' + r.data.id + ' created.', true); f.matchers.value = ''; f.comment.value = ''; await refreshAll(); }
      else say(messages, r.message, false);
    });

    // Maintenance windows: list, create (one-off or weekly), delete.
    const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
    const windowForm = h('form', { class: 'form', 'aria-label': 'Create a maintenance window' },
      h('div', { class: 'field' }, h('label', { for: 'mw-name', text: 'Name' }), h('input', { id: 'mw-name', name: 'name', type: 'text', autocomplete: 'off' })),
      h('div', { class: 'field' }, h('label', { for: 'mw-matchers' }, 'Matchers ', h('small', { text: 'comma separated, e.g. group=payments' })),
        h('input', { id: 'mw-matchers', name: 'matchers', type: 'text', autocomplete: 'off' })),
      h('fieldset', {}, h('legend', { text: 'One-off (local time)' }),
        h('div', { class: 'field' }, h('label', { for: 'mw-start', text: 'Starts' }), h('input', { id: 'mw-start', name: 'startsAt', type: 'datetime-local' })),
        h('div', { class: 'field' }, h('label', { for: 'mw-end', text: 'Ends' }), h('input', { id: 'mw-end', name: 'endsAt', type: 'datetime-local' }))),
      h('fieldset', {}, h('legend', { text: 'Or weekly' }),
        h('div', { class: 'checks-row', role: 'group', 'aria-label': 'Days' },
          days.map(d => h('label', {}, h('input', { type: 'checkbox', name: 'day', value: d }), ' ' + d.slice(0, 3)))),
        h('div', { class: 'field' }, h('label', { for: 'mw-time', text: 'Start time' }), h('input', { id: 'mw-time', name: 'startTime', type: 'time' })),
        h('div', { class: 'field' }, h('label', { for: 'mw-duration', text: 'Duration' }), h('input', { id: 'mw-duration', name: 'duration', type: 'text', size: 6, placeholder: '90m', autocomplete: 'off' })),
        h('div', { class: 'field' }, h('label', { for: 'mw-tz', text: 'Time zone' }), h('input', { id: 'mw-tz', name: 'timeZone', type: 'text', value: 'UTC', size: 12, autocomplete: 'off' }))),
      h('button', { type: 'submit', class: 'primary', text: 'Create window' }));
    windowForm.addEventListener('submit', async e => {
      e.preventDefault();
      const f = windowForm.elements;
      const chosen = [...windowForm.querySelectorAll('input[name=day]:checked')].map(c => c.value);
      const weekly = chosen.length || f.startTime.value || f.duration.value.trim();
      const body = { name: f.name.value.trim(), matchers: splitList(f.matchers.value), createdBy: 'web-ui' };
      if (weekly) body.recurrence = { days: chosen, startTime: f.startTime.value || null, duration: f.duration.value.trim() || null, timeZone: f.timeZone.value.trim() || 'UTC' };
      else {
        if (f.startsAt.value) body.startsAt = new Date(f.startsAt.value).toISOString();
        if (f.endsAt.value) body.endsAt = new Date(f.endsAt.value).toISOString();
      }
      const r = await send('POST', '/api/maintenance-windows', body);
      if (r.ok) { say(messages, 'Maintenance window ' + r.data.id + ' created.', true); windowForm.reset(); await refreshAll(); }
      else say(messages, r.message, false);
    });

    const pager = h('div', { class: 'pager' });
    main.replaceChildren(
      h('h1', { tabindex: '-1', text: 'Alerts' }), messages,
      h('section', { 'aria-labelledby': 'h-alerts' }, h('h2', { id: 'h-alerts', text: 'Alerts' }),
        h('div', { class: 'form' }, h('div', { class: 'field' }, h('label', { for: 'alerts-show', text: 'Show' }), show)), alertsBox, pager),
      h('section', { 'aria-labelledby': 'h-silences' }, h('h2', { id: 'h-silences', text: 'Silences' }),
        h('p', {}, includeExpired, ' ', h('label', { for: 'silences-all', text: 'Include expired silences' })), silencesBox, silenceForm),
      h('section', { 'aria-labelledby': 'h-windows' }, h('h2', { id: 'h-windows', text: 'Maintenance windows' }), windowsBox, windowForm));

    let alertsData = null;
    alertsBox._redraw = () => drawAlerts();
    function drawAlerts() {
      if (!alertsData) return;
      const items = alertsData.items || [];
      replace(alertsBox, items.length
        ? alertTable(items, view, { showTarget: true, caption: 'Alerts', scope: 'all', messages, rerender: drawAlerts, changed: refreshAlerts })
        : h('p', { class: 'muted', text: view.show === 'active' ? 'No active alert.' : 'No alert retained.' }));
      const n = view.cursors.length;
      pager.replaceChildren(
        h('span', { text: `Page ${n}: ${items.length} of ${alertsData.total}` }),
        h('button', { type: 'button', disabled: n === 1, text: 'Previous page', onclick: () => { view.cursors.pop(); refreshAlerts(); } }),
        h('button', { type: 'button', disabled: !alertsData.next, text: 'Next page', onclick: () => { view.cursors.push(alertsData.next); refreshAlerts(); } }));
    }
    async function refreshAlerts() {
      const cursor = view.cursors[view.cursors.length - 1];
      const r = await get('/api/alerts?state=' + view.show + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      if (r.status !== 200) { replace(alertsBox, h('p', { class: 'message error', text: 'Could not read /api/alerts: ' + r.problem })); return; }
      if (!r.changed && alertsBox.childElementCount) return;
      alertsData = r.data;
      drawAlerts();
    }
    async function refreshSilences() {
      const r = await get('/api/silences' + (view.silencesAll ? '?all=true' : ''));
      if (r.status !== 200) { replace(silencesBox, h('p', { class: 'message error', text: 'Could not read /api/silences: ' + r.problem })); return; }
      if (!r.changed && silencesBox.childElementCount) return;
      const now = Date.now();
      const items = r.data.items || [];
      replace(silencesBox, items.length ? table('Silences', [{ title: 'Silence' }, { title: 'Matchers' }, { title: 'State' }, { title: 'Starts' }, { title: 'Ends' }, { title: 'By' }, { title: 'Comment' }, { title: 'Actions' }],
        items.map(x => {
          const ended = x.expiredAt || new Date(x.endsAt).getTime() <= now;
          const state = ended ? 'Expired' : new Date(x.startsAt).getTime() > now ? 'Pending' : 'Active';
          return [x.id, matchersText(x.matchers), badge(state.toLowerCase(), { expired: 'Expired', pending: 'Pending', active: 'Active' }), timeEl(x.startsAt), timeEl(x.expiredAt || x.endsAt), x.createdBy, x.comment || '–',
            ended ? h('span', { class: 'muted', text: '–' }) : h('button', {
              type: 'button', 'data-key': 'expire-' + x.id, 'aria-label': 'Expire ' + x.id, text: 'Expire', onclick: async () => {
                const e = await send('DELETE', '/api/silences/' + encodeURIComponent(x.id));
                if (e.ok) { say(messages, 'Silence ' + x.id + ' expired.', true); await refreshAll(); } else say(messages, e.message, false);
              },
            })];
        }), { hideCaption: true }) : h('p', { class: 'muted', text: 'No silence.' }));
    }
    async function refreshWindows() {
      const r = await get('/api/maintenance-windows');
      if (r.status !== 200) { replace(windowsBox, h('p', { class: 'message error', text: 'Could not read /api/maintenance-windows: ' + r.problem })); return; }
      if (!r.changed && windowsBox.childElementCount) return;
      replace(windowsBox, r.data.length ? table('Maintenance windows', [{ title: 'Window' }, { title: 'Name' }, { title: 'Matchers' }, { title: 'When' }, { title: 'Open now' }, { title: 'Actions' }],
        r.data.map(({ window: w, open }) => [w.id, w.name, matchersText(w.matchers),
          w.recurrence ? `weekly on ${w.recurrence.days.join(', ')} at ${w.recurrence.startTime} for ${w.recurrence.duration} (${w.recurrence.timeZone})`
            : h('span', {}, timeEl(w.startsAt), ' to ', timeEl(w.endsAt)),
          open ? badge('ok', { ok: 'Open' }) : h('span', { class: 'muted', text: 'No' }),
          h('button', {
            type: 'button', 'data-key': 'delete-' + w.id, 'aria-label': 'Delete ' + w.id, text: 'Delete', onclick: async () => {
              const e = await send('DELETE', '/api/maintenance-windows/' + encodeURIComponent(w.id));
              if (e.ok) { say(messages, 'Maintenance window ' + w.id + ' deleted.', true); await refreshAll(); } else say(messages, e.message, false);
            },
          })]), { hideCaption: true }) : h('p', { class: 'muted', text: 'No maintenance window.' }));
    }
    async function refreshAll() { await Promise.all([refreshAlerts(), refreshSilences(), refreshWindows()]); }
    return { title: 'Alerts', refresh: refreshAll };
  }
  const splitList = text => text.split(/[,\n]/).map(x => x.trim()).filter(Boolean);
  const matchersText = ms => (ms || []).map(m => m.field + (m.isRegex ? '=~' : '=') + m.value).join(', ') || '–';

  function clusterPage() {
    const body = h('div');
    main.replaceChildren(h('h1', { tabindex: '-1', text: 'Cluster' }), body);
    async function refresh() {
      const r = await get('/api/cluster');
      if (r.status !== 200) { replace(body, h('p', { class: 'message error', text: 'Could not read /api/cluster: ' + r.problem })); return; }
      if (!r.changed && body.childElementCount) return;
      const d = r.data;
      const byNode = new Map();
      for (const t of d.targets || []) {
        const key = t.node || '(no node answered)';
        if (!byNode.has(key)) byNode.set(key, []);
        byNode.get(key).push(t);
      }
      replace(body,
        h('dl', { class: 'card' }, h('dt', { text: 'This node' }), h('dd', { text: d.self }), h('dt', { text: 'Leader' }), h('dd', { text: d.leader || 'none' })),
        h('h2', { text: 'Members' }),
        table('Members', [{ title: 'Address' }, { title: 'Status' }, { title: 'Reachability' }, { title: 'Roles' }, { title: 'Version' }, { title: 'Leader' }],
          (d.members || []).map(m => [
            h('span', {}, m.address, m.isSelf ? h('span', { class: 'muted', text: ' (this node)' }) : null),
            badge(m.status), m.reachable ? badge('ok', { ok: 'Reachable' }) : badge('unreachable', { unreachable: 'Unreachable' }),
            (m.roles || []).join(', ') || '–', m.version || '–', m.isLeader ? badge('ok', { ok: 'Leader' }) : h('span', { class: 'muted', text: 'No' })]), { hideCaption: true }),
        h('h2', { text: 'Singletons' }),
        table('Singletons', [{ title: 'Singleton' }, { title: 'Runs on' }],
          Object.entries(d.singletons || {}).map(([name, node]) => [name, node || h('span', { class: 'muted', text: 'nowhere (no Up member with the role)' })]), { hideCaption: true }),
        h('h2', { text: 'Targets per node' }),
        byNode.size ? table('Targets per node', [{ title: 'Node' }, { title: 'Targets', num: true }, { title: 'Which' }],
          [...byNode.entries()].map(([node, ts]) => [node, fmtNum(ts.length),
            h('span', {}, ts.slice(0, 30).map((t, i) => [i ? ', ' : '', h('a', { href: '#/targets/' + encodeURIComponent(t.target), text: t.target })]),
              ts.length > 30 ? ' and ' + (ts.length - 30) + ' more' : '')]), { hideCaption: true })
          : h('p', { class: 'muted', text: 'No target placement known (the target registry did not answer, or there are no targets).' }));
    }
    return { title: 'Cluster', refresh, every: SLOW_POLL_MS };
  }

  function targetPage(id) {
    const view = { window: '1h', tables: new Set(), ackOpen: null };
    const path = '/api/targets/' + encodeURIComponent(id);
    const messages = messageBox();
    const summary = h('div');
    const checks = h('div');
    const charts = h('div');
    const alerts = h('div');
    const windows = h('div', { class: 'windows', role: 'group', 'aria-label': 'Chart window' }, h('span', { text: 'Window:' }),
      ['1h', '6h', '24h'].map(w => h('button', {
        type: 'button', 'data-window': w, 'aria-pressed': String(w === view.window), text: w.replace('h', ' h'),
        onclick: () => { view.window = w; windows.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(b.dataset.window === w))); refreshCharts(); },
      })));
    main.replaceChildren(h('p', {}, h('a', { href: '#/', text: '← Overview' })), h('h1', { tabindex: '-1', text: 'Target ' + id }), messages, summary,
      h('section', { 'aria-labelledby': 'h-checks' }, h('h2', { id: 'h-checks', text: 'Checks' }), checks),
      h('section', { 'aria-labelledby': 'h-charts' }, h('h2', { id: 'h-charts', text: 'Metrics' }), windows, charts),
      h('section', { 'aria-labelledby': 'h-talerts' }, h('h2', { id: 'h-talerts', text: 'Alerts of this target' }), alerts));

    async function refreshSummary() {
      const r = await get(path);
      // An unknown target: say so once, without empty Checks, Metrics and Alerts sections under it.
      for (const heading of ['h-checks', 'h-charts', 'h-talerts']) {
        const section = document.getElementById(heading)?.parentElement;
        if (section) section.hidden = r.status === 404;
      }
      if (r.status !== 200) { replace(summary, h('p', { class: 'message error', text: 'Could not read ' + path + ': ' + r.problem })); return false; }
      if (!r.changed && summary.childElementCount) return true;
      const t = r.data;
      const st = t.status;
      replace(summary,
        h('dl', { class: 'card' },
          h('dt', { text: 'Group' }), h('dd', { text: t.definition.group || '–' }),
          h('dt', { text: 'Adapter' }), h('dd', { text: t.definition.adapter }),
          h('dt', { text: 'Endpoint' }), h('dd', { text: t.definition.endpoint }),
          h('dt', { text: 'Monitored by' }), h('dd', { text: st ? st.node + (st.monitoring ? '' : ' (not monitoring)') : 'no node answered' }),
          h('dt', { text: 'Source' }), h('dd', { text: t.source })),
        st ? table('Loops', [{ title: 'Loop' }, { title: 'Probes', num: true }, { title: 'Last probe' }, { title: 'Last success' }, { title: 'Failures in a row', num: true }, { title: 'Last error' }],
          st.loops.map(l => [l.loop, fmtNum(l.probes), timeEl(l.lastProbeAt), timeEl(l.lastSuccessAt), String(l.consecutiveFailures), l.lastError || '–'])) : null);
      return true;
    }
    async function refreshChecks() {
      const r = await get(path + '/health');
      if (r.status === 404 && r.routeMissing) { replace(checks, notAvailable('Checks of this target', '/api/targets/{id}/health')); return; }
      if (r.status !== 200) { replace(checks, h('p', { class: 'message error', text: 'Could not read the checks: ' + r.problem })); return; }
      if (!r.changed && checks.childElementCount) return;
      const d = r.data;
      replace(checks,
        h('p', {}, 'State ', badge(d.state), ' on ', d.node || '–', ', judged ', timeEl(d.checkedAt), ' from the loops\' last results.'),
        h('div', { class: 'cards' }, (d.checks || []).map(c => h('article', { class: 'card', 'aria-label': c.name },
          h('h3', {}, c.name, ' ', badge(c.status)),
          h('p', { text: c.message }),
          c.error ? h('p', { class: 'message error', text: c.error }) : null,
          Object.keys(c.figures || {}).length
            ? h('dl', {}, Object.entries(c.figures).map(([k, v]) => [h('dt', { text: k }), h('dd', { text: fmtNum(v) })]))
            : null))));
    }
    async function refreshCharts() {
      const list = await get(path + '/metrics');
      if (list.status !== 200) { replace(charts, h('p', { class: 'message error', text: 'Could not read the metrics: ' + list.problem })); return; }
      const names = [...new Set((list.data || []).map(m => m.metric))].sort();
      if (!names.length) { replace(charts, h('p', { class: 'muted', text: 'No metric recorded yet.' })); return; }
      const series = await Promise.all(names.map(n => get(path + '/metrics/' + encodeURIComponent(n) + '/series?window=' + view.window)));
      if (series.some(x => x.status === 404 && x.routeMissing)) { replace(charts, notAvailable('Charts over a window', '/api/targets/{id}/metrics/{metric}/series')); return; }
      if (!series.some(x => x.changed) && charts.childElementCount && charts.dataset.window === view.window) return;
      charts.dataset.window = view.window;
      replace(charts, names.map((n, i) => series[i].status === 200 ? chart(series[i].data, view)
        : h('div', { class: 'chart' }, h('h3', { text: n }), h('p', { class: 'message error', text: series[i].problem }))));
    }
    let alertsData = [];
    alerts._redraw = () => drawAlerts();
    function drawAlerts() {
      replace(alerts, alertsData.length
        ? alertTable(alertsData, view, { showTarget: false, caption: 'Alerts of ' + id, scope: 'target', messages, rerender: drawAlerts, changed: refreshAlerts })
        : h('p', { class: 'muted', text: 'No alert retained for this target.' }));
    }
    async function refreshAlerts() {
      // This target's alerts only (the route's target filter), newest first: up to 4 pages.
      const found = [];
      let cursor = null;
      for (let i = 0; i < 4; i++) {
        const r = await get('/api/alerts?state=all&target=' + encodeURIComponent(id) + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
        if (r.status !== 200) { replace(alerts, h('p', { class: 'message error', text: 'Could not read /api/alerts: ' + r.problem })); return; }
        found.push(...r.data.items);
        cursor = r.data.next;
        if (!cursor) break;
      }
      if (JSON.stringify(found) === JSON.stringify(alertsData) && alerts.childElementCount) return;
      alertsData = found;
      drawAlerts();
    }
    async function refresh() {
      if (!await refreshSummary()) return;
      await Promise.all([refreshChecks(), refreshCharts(), refreshAlerts()]);
    }
    return { title: 'Target ' + id, refresh };
  }

  // ---------- charts: our own SVG ----------
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const raw = (hi - lo) / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(x => x >= raw) || raw;
    const ticks = [];
    // From the step at or below the lowest value to the one at or above the highest, so nothing is drawn outside the axes.
    const first = Math.floor(lo / step), last = Math.ceil(hi / step - 1e-9);
    for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
    return ticks;
  }

  function chart(d, view) {
    const W = 800, H = 260, L = 64, R = 16, T = 16, B = 34;
    const unit = d.unit ? ' ' + d.unit : '';
    const pts = (d.points || []).filter(p => p.count > 0).map(p => ({ ...p, t: new Date(p.at).getTime() }));
    const from = new Date(d.from).getTime(), to = new Date(d.to).getTime();
    const key = d.metric;
    const showTable = view.tables.has(key);
    const tableId = 'table-' + cssId(key);
    const thresholds = d.thresholds || [];
    const heading = h('h3', { id: 'chart-' + cssId(key) }, d.metric, h('span', { class: 'muted', text: ` (${unit.trim() || 'no unit'}, ${d.window}, ${d.bucketSeconds} s buckets)` }));
    const toggle = h('button', {
      type: 'button', 'aria-expanded': String(showTable), 'aria-controls': tableId, 'data-key': 'toggle-' + key,
      text: showTable ? 'Hide data table' : 'Show data table',
      onclick: () => {
        if (view.tables.has(key)) view.tables.delete(key); else view.tables.add(key);
        const open = view.tables.has(key);
        toggle.setAttribute('aria-expanded', String(open));
        toggle.textContent = open ? 'Hide data table' : 'Show data table';
        dataTable.hidden = !open;
      },
    });
    const dataTable = h('div', { id: tableId, hidden: !showTable },
      table(d.metric + ' per bucket', [{ title: 'Bucket start' }, { title: 'Samples', num: true }, { title: 'Avg' + unit, num: true }, { title: 'Min' + unit, num: true },
        { title: 'Max' + unit, num: true }, { title: 'p95' + unit, num: true }, { title: 'p99' + unit, num: true }],
        pts.map(p => [timeEl(p.at), String(p.count), fmtNum(p.avg), fmtNum(p.min), fmtNum(p.max), fmtNum(p.p95), fmtNum(p.p99)])));
    if (!pts.length)
      return h('div', { class: 'chart', 'data-metric': key }, heading, h('p', { class: 'muted', text: 'No samples in the last ' + d.window + '.' }), toggle, dataTable);

    const values = pts.flatMap(p => [p.min, p.max, p.p99, p.p95, p.avg]).concat(thresholds.map(t => t.value)).filter(v => Number.isFinite(v));
    let lo = Math.min(0, ...values), hi = Math.max(...values);
    if (hi === lo) hi = lo + 1;
    const yt = niceTicks(lo, hi + (hi - lo) * 0.05, 5);
    lo = yt[0]; hi = yt[yt.length - 1];
    const x = t => L + (W - L - R) * (t - from) / Math.max(1, to - from);
    const y = v => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    const gap = Math.max(1, d.bucketSeconds) * 1000 * 2.5;
    const segments = [];
    for (const p of pts) {
      const last = segments[segments.length - 1];
      if (last && p.t - last[last.length - 1].t <= gap) last.push(p); else segments.push([p]);
    }
    const line = (f, cls) => segments.map(seg => seg.length === 1
      ? s('circle', { class: cls, cx: x(seg[0].t).toFixed(1), cy: y(f(seg[0])).toFixed(1), r: 2 })
      : s('path', { class: cls, d: seg.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(f(p)).toFixed(1)).join(' ') }));
    const band = segments.filter(seg => seg.length > 1).map(seg => s('path', {
      class: 'band', d: seg.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.max).toFixed(1)).join(' ') + ' ' +
        seg.slice().reverse().map(p => 'L' + x(p.t).toFixed(1) + ' ' + y(p.min).toFixed(1)).join(' ') + ' Z',
    }));
    const span = to - from;
    const xt = [0, 1, 2, 3, 4].map(i => from + span * i / 4);
    const fmtX = t => {
      const dt = new Date(t);
      const hm = dt.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
      return span > 12 * 3600e3 ? dt.toLocaleDateString('en-CA', { month: '2-digit', day: '2-digit' }) + ' ' + hm : hm;
    };
    const last = pts[pts.length - 1];
    const label = `${d.metric} over ${d.window}: ${pts.length} buckets; last bucket avg ${fmtNum(last.avg)}${unit}, p95 ${fmtNum(last.p95)}${unit}, p99 ${fmtNum(last.p99)}${unit}; ` +
      `highest max ${fmtNum(Math.max(...pts.map(p => p.max)))}${unit}` +
      (thresholds.length ? '; thresholds ' + thresholds.map(t => `${t.name} ${fmtNum(t.value)}${unit} (${t.severity})`).join(', ') : '') + '. The data table has every bucket.';
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, 'data-points': pts.length, preserveAspectRatio: 'xMidYMid meet' },
      yt.map(v => [s('line', { class: 'grid', x1: L, x2: W - R, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }),
        s('text', { x: L - 6, y: (y(v) + 4).toFixed(1), 'text-anchor': 'end' }, fmtNum(v))]),
      s('text', { x: 4, y: 12 }, unit.trim() || 'value'),
      xt.map((t, i) => s('text', { x: x(t).toFixed(1), y: H - 10, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, fmtX(t))),
      s('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }), s('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }),
      band, line(p => p.avg, 'avg'), line(p => p.p95, 'p95'), line(p => p.p99, 'p99'),
      thresholds.map(t => [s('line', { class: 'threshold', x1: L, x2: W - R, y1: y(t.value).toFixed(1), y2: y(t.value).toFixed(1) }),
        s('text', { class: 'threshold-label', x: W - R - 4, y: (y(t.value) - 4).toFixed(1), 'text-anchor': 'end' }, `${t.name} ${fmtNum(t.value)}${unit} (${t.severity})`)]));
    // The window's own figures (the series' overall: the summary route's answer for the same window), stated in text.
    const o = d.overall || {};
    const whole = h('p', { class: 'window-summary', 'data-count': o.count, 'data-p99': o.p99 },
      `Whole ${d.window}: ${fmtNum(o.count)} samples, avg ${fmtNum(o.avg)}${unit}, p95 ${fmtNum(o.p95)}${unit}, p99 ${fmtNum(o.p99)}${unit}.`);
    return h('div', { class: 'chart', 'data-metric': key }, heading, svg, whole,
      h('ul', { class: 'legend', 'aria-label': 'Legend' },
        h('li', {}, h('span', { class: 'key avg' }), 'average'), h('li', {}, h('span', { class: 'key band' }), 'min to max'),
        h('li', {}, h('span', { class: 'key p95' }), 'p95 (dashed)'), h('li', {}, h('span', { class: 'key p99' }), 'p99 (dotted)'),
        thresholds.length ? h('li', {}, h('span', { class: 'key threshold' }), 'threshold') : null),
      toggle, dataTable);
  }

  // ---------- routing: #/, #/alerts, #/cluster, #/targets/{id} ----------
  function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [pathPart, query] = hash.split('?');
    const params = new URLSearchParams(query || '');
    let name;
    if (pathPart === '/alerts') { name = 'alerts'; page = alertsPage(); }
    else if (pathPart === '/cluster') { name = 'cluster'; page = clusterPage(); }
    else if (pathPart.startsWith('/targets/')) { name = 'target'; page = targetPage(decodeURIComponent(pathPart.slice('/targets/'.length))); }
    else { name = 'overview'; page = overviewPage(params); }
    document.title = page.title + ' · ConfigMonitor';
    document.querySelectorAll('nav a[data-page]').forEach(a => {
      if (a.dataset.page === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
    schedule();
    busy = false;
    tick();
  }
  let routed = false;
  window.addEventListener('hashchange', () => {
    route();
    const heading = main.querySelector('h1');
    if (heading) heading.focus();
  });
  if (!routed) { routed = true; route(); }
})();

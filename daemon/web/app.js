// Lineup's operator page: sender sessions, responders, path selection and the
// SLA report, over the daemon's REST API (docs/daemon.md). No framework, no
// build step; the page refreshes what it shows every two seconds.
'use strict';

const POLL_MS = 2000;
const ANSWER_MS = 5000;  // a request without an answer by then counts as none
const PAGE_SIZE = 50;

const state = {
  token: sessionStorage.getItem('lineup-token') || '',
  view: 'sessions',
  offset: 0,
  filter: '',
  page: null,          // the last /api/sessions page
  dscp: [],            // [{name, value}]
  tunnels: [],
  detail: new Map(),   // session id -> {kind: 'results'|'run', ...}
  editing: null,       // the session being edited, or null when adding
  scheduling: null,
  seenDecisions: null, // decision keys already shown
  unreachable: null,   // why the last refresh got no answer, or null
  downSince: null,     // when the daemon stopped answering
  lastAnswer: null,    // when it last answered
  rendered: false,
};

// ------------------------------------------------------------------ helpers

const $ = (selector, root = document) => root.querySelector(selector);

// h('td', {class: 'num'}, 'text', child, ...): an element with attributes and children.
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const svgNs = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const e = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

// `answerMs`: how long to wait for the answer (0: as long as it takes, for a
// foreground run that answers when the run ends).
async function api(method, path, body, answerMs = ANSWER_MS) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  let res;
  // A daemon that accepts but never answers (wedged, or gone behind a kept
  // connection) must not hang the page: give up after a while.
  const abort = new AbortController();
  const timer = answerMs > 0 ? setTimeout(() => abort.abort(), answerMs) : null;
  try {
    res = await fetch(path, {method, headers, signal: abort.signal,
      body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (e) {
    state.unreachable = e.name === 'AbortError' ? 'no answer in ' + answerMs / 1000 + ' s' : e.message;
    return {ok: false, status: 0, data: {error: 'the daemon does not answer'}};
  } finally {
    if (timer) clearTimeout(timer);
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401) $('#token-form').hidden = false;
  return {ok: res.ok, status: res.status, data};
}

function setLive(text) { $('#live').textContent = text; }

// Re-renders without losing the keyboard's place: the control that had the
// focus (known by its aria-label) gets it back.
function keepingFocus(render) {
  const had = document.activeElement;
  const label = had && had !== document.body ? had.getAttribute('aria-label') : null;
  render();
  if (!label || document.contains(had)) return;
  const again = [...document.querySelectorAll('main [aria-label]')].find((e) => e.getAttribute('aria-label') === label);
  if (again) again.focus();
}

const ms = (v) => (v === null || v === undefined ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const pct = (v) => (v === 0 ? '0' : v < 0.1 ? v.toFixed(3) : v.toFixed(1)) + ' %';
// A run summary (docs/schema/run-summary.schema.json) is in nanoseconds and ratios.
const nsMs = (v) => (v === null || v === undefined ? v : v / 1e6);
const lossPct = (run) => 100 * run.loss_ratio;
const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC') : '–');
const duration = (milli) => (milli % 1000 === 0 ? milli / 1000 + 's' : milli + 'ms');

function dscpName(value) {
  const named = state.dscp.find((d) => d.value === value);
  return named ? named.name.toUpperCase() : String(value);
}

// A run's verdict: ok, loss, no replies, failed.
function verdict(run) {
  if (!run) return {text: 'never run', cls: ''};
  if (run.error) return {text: 'failed', cls: 'bad', title: run.error};
  if (run.sent > 0 && run.received === 0) return {text: 'no replies', cls: 'bad'};
  if (lossPct(run) > 0) return {text: 'loss ' + pct(lossPct(run)), cls: 'warn'};
  return {text: 'ok', cls: 'good'};
}

function params(x) {
  const parts = [x.count + ' × ' + duration(x.interval_ms) + (x.spacing === 'poisson' ? ' Poisson' : ''),
    x.padding + ' B pad', 'DSCP ' + dscpName(x.dscp), 'TTL ' + x.ttl];
  if (x.dont_fragment) parts.push('DF');
  parts.push(x.protocol === 'twamp' ? 'TWAMP' : 'Light', 'IPv' + x.ip);
  return parts.join(', ');
}

// Shows the API's validation messages next to the fields they are about;
// `fieldFor` maps an API field name to a form field id (or null).
function showErrors(form, general, data, fieldFor) {
  clearErrors(form, general);
  const errors = (data && data.errors) || [{field: '', message: (data && data.error) || 'the daemon refused it'}];
  const loose = [];
  for (const e of errors) {
    const id = fieldFor(e.field);
    const slot = id && $('#' + id + '-error', form);
    if (slot) {
      slot.textContent = slot.textContent ? slot.textContent + '; ' + e.message : e.message;
      const custom = $('#' + id + '-custom', form);  // "other value" beside a list
      const input = custom && !custom.hidden ? custom : $('#' + id, form);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', id + '-error');
      }
    } else {
      loose.push((e.field ? e.field + ': ' : '') + e.message);
    }
  }
  general.textContent = loose.join('\n');
  const first = $('[aria-invalid="true"]', form);
  if (first) first.focus();
}

function clearErrors(form, general) {
  for (const p of form.querySelectorAll('.error')) p.textContent = '';
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  general.textContent = '';
}

// ------------------------------------------------------------------ sessions

async function loadSessions() {
  const q = new URLSearchParams({offset: state.offset, limit: PAGE_SIZE, q: state.filter});
  const [r, changes] = await Promise.all([api('GET', '/api/sessions?' + q), api('GET', '/api/changes')]);
  if (changes.ok) showChanges(changes.data);
  if (!r.ok) return;
  state.page = r.data;
  if (state.offset > 0 && state.offset >= r.data.total) {  // the page emptied (deleted, filtered)
    state.offset = Math.max(0, Math.floor((r.data.total - 1) / PAGE_SIZE) * PAGE_SIZE);
    return loadSessions();
  }
  for (const x of r.data.sessions) {
    const d = state.detail.get(x.id);
    if (d && d.kind === 'results' && d.runs !== x.runs) await loadResults(x.id, x.runs);
  }
  renderSessions();
}

function renderSessions() {
  const page = state.page;
  const body = $('#sessions tbody');
  const rows = [];
  if (page.sessions.length === 0) {
    rows.push(h('tr', {}, h('td', {colspan: 7, class: 'muted'},
      page.all === 0 ? 'No sender sessions yet: Add sender makes one.' : 'No session matches the filter.')));
  }
  for (const x of page.sessions) {
    const v = verdict(x.last);
    const running = x.running && x.progress;
    rows.push(h('tr', {id: 'row-' + x.id, 'data-id': x.id, 'data-name': x.name},
      h('td', {}, h('strong', {}, x.name), h('div', {class: 'muted'}, h('code', {}, x.id))),
      h('td', {}, x.tunnel || h('span', {class: 'muted', title: 'on no tunnel: results only, never a path'}, 'diagnostic'),
        x.fault ? h('div', {}, h('span', {class: 'badge warn', title: 'unanswered while the tunnel\'s other sessions are answered: a session fault, not a line outage'}, 'session fault')) : null),
      h('td', {}, params(x)),
      h('td', {}, x.schedule, x.next_run ? h('div', {class: 'muted'}, 'next ' + when(x.next_run)) : null),
      h('td', {}, x.last ? when(x.last.finished) : '–', x.last ? h('div', {class: 'muted'}, 'run ' + x.last.run + ', ' + x.last.trigger) : null),
      h('td', {}, running
        ? h('span', {class: 'badge'}, x.progress.phase === 'sending' ? 'sending ' + x.progress.packets_due + '/' + x.progress.count : 'waiting')
        : h('span', {class: 'badge ' + v.cls, title: v.title || null}, v.text)),
      h('td', {class: 'actions-cell'},
        h('button', {type: 'button', 'data-action': 'results', 'aria-label': 'Results of ' + x.name, onclick: () => toggleResults(x)}, 'Results'),
        h('button', {type: 'button', 'data-action': 'schedule', 'aria-label': 'Schedule of ' + x.name, onclick: () => openSchedule(x)}, 'Schedule'),
        h('button', {type: 'button', 'data-action': 'edit', 'aria-label': 'Edit ' + x.name, onclick: () => openSender(x)}, 'Edit'),
        h('button', {type: 'button', 'data-action': 'run', 'aria-label': 'Run ' + x.name, disabled: x.running || null,
          title: x.run_mode === 'background' ? 'runs in the background' : 'waits for the result', onclick: () => runSession(x)},
        x.running ? 'Running…' : x.run_mode === 'background' ? 'Run (bg)' : 'Run'),
        h('button', {type: 'button', 'data-action': 'delete', 'aria-label': 'Delete ' + x.name, onclick: () => deleteSession(x)}, 'Delete'))));
    const d = state.detail.get(x.id);
    if (d) rows.push(h('tr', {class: 'detail', id: 'detail-' + x.id}, h('td', {colspan: 7}, renderDetail(x, d))));
  }
  keepingFocus(() => body.replaceChildren(...rows));
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.sessions.length;
  $('#page-info').textContent = `${first}–${last} of ${page.total}` + (page.total !== page.all ? ` (filtered from ${page.all})` : '');
  $('#prev').disabled = page.offset === 0;
  $('#next').disabled = last >= page.total;
  if (!state.rendered) {
    state.rendered = true;
    window.lineupFirstRender = performance.now();
    performance.mark('lineup-first-render');
  }
}

function renderDetail(x, d) {
  if (d.kind === 'job') {
    const p = d.progress;
    return h('div', {class: 'run-output', role: 'status'},
      h('strong', {}, 'Background run (' + d.job + '): '),
      p ? [h('progress', {max: p.count, value: p.packets_due}), ' ',
        p.phase === 'sending' ? `sending ${p.packets_due}/${p.count}` : 'waiting for late replies',
        ` (${(p.elapsed_ms / 1000).toFixed(1)} s, at most ${(p.at_most_ms / 1000).toFixed(1)} s)`]
        : 'starting…');
  }
  if (d.kind === 'run') {
    return h('div', {class: 'run-output', role: 'status'},
      h('strong', {}, (d.background ? 'Background run' : 'Run') + ' ' + (d.run.run || '') + ' finished: '),
      runLine(d.run), h('div', {}, statsTable(d.run)));
  }
  const last = d.last;
  return h('div', {class: 'results'},
    h('div', {},
      h('h3', {}, 'Last run'),
      last ? [h('p', {}, when(last.started) + ' – ' + when(last.finished), ', ', runLine(last)), statsTable(last)] : h('p', {class: 'muted'}, 'No run yet.')),
    h('div', {}, h('h3', {}, `Recent runs (${d.history.length})`), rangePicker(d), chart(inRange(d)), historyTable(d.history)));
}

// The chart's time range: the last 10 minutes, hour, 6 hours, or every run kept.
const RANGES = [[600, 'last 10 min'], [3600, 'last hour'], [6 * 3600, 'last 6 h'], [0, 'all kept']];
function inRange(d) {
  const seconds = d.range || 0;
  if (!seconds) return d.history;
  const from = (Date.now() - seconds * 1000) * 1e6;  // ns since the epoch
  return d.history.filter((r) => Number(r.started_unix_ns) >= from);
}
function rangePicker(d) {
  const select = h('select', {'aria-label': 'Chart range', class: 'range', onchange: (e) => {
    d.range = Number(e.target.value);
    renderSessions();
  }}, RANGES.map(([v, label]) => h('option', {value: v, selected: (d.range || 0) === v || null}, label)));
  return h('label', {class: 'range'}, 'Range ', select);
}

// The last ten runs, newest first.
function historyTable(history) {
  const recent = history.slice(-10).reverse();
  if (recent.length === 0) return null;
  const avg = (d) => ms(nsMs(d.mean_ns));
  return h('table', {class: 'stats history'},
    h('caption', {class: 'sr-only'}, 'The last ten runs, newest first'),
    h('thead', {}, h('tr', {}, ['Run', 'Finished', 'Received', 'Loss', 'Out avg', 'In avg', 'RTT min', 'RTT avg', 'RTT max', 'Jitter']
      .map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, recent.map((r) => r.error
      ? h('tr', {}, h('td', {}, r.run), h('td', {}, when(r.finished)), h('td', {colspan: 8}, h('span', {class: 'badge bad'}, 'failed: ' + r.error)))
      : h('tr', {}, h('td', {}, r.run), h('td', {}, when(r.finished).slice(11)), h('td', {}, `${r.received}/${r.sent}`),
        h('td', {}, pct(lossPct(r))), h('td', {}, avg(r.outbound)), h('td', {}, avg(r.inbound)),
        h('td', {}, ms(nsMs(r.round_trip.min_ns))), h('td', {}, avg(r.round_trip)), h('td', {}, ms(nsMs(r.round_trip.max_ns))),
        h('td', {}, ms(nsMs(r.round_trip.jitter_ns)))))));
}

function runLine(r) {
  if (r.error) return h('span', {class: 'badge bad'}, 'failed: ' + r.error);
  const v = verdict(r);
  return h('span', {}, h('span', {class: 'badge ' + v.cls}, v.text), ` sent ${r.sent}, received ${r.received}, lost ${r.lost} (${pct(lossPct(r))})` +
    `, duplicates ${r.duplicates}, reordered ${r.reordered}, jitter ${ms(nsMs(r.round_trip.jitter_ns))} ms`);
}

function statsTable(r) {
  if (!r || r.error) return null;
  const row = (label, d, note) => h('tr', {}, h('th', {scope: 'row'}, label), h('td', {}, ms(nsMs(d.min_ns))), h('td', {}, ms(nsMs(d.mean_ns))),
    h('td', {}, ms(nsMs(d.max_ns))), h('td', {}, ms(nsMs(d.p95_ns))), h('td', {class: 'muted'}, note || ''));
  const oneWay = r.one_way_synchronized ? '' : 'clocks not synchronized';
  return h('table', {class: 'stats'},
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Delay (ms)'), h('th', {scope: 'col'}, 'min'), h('th', {scope: 'col'}, 'avg'),
      h('th', {scope: 'col'}, 'max'), h('th', {scope: 'col'}, 'p95'), h('th', {}, ''))),
    h('tbody', {}, row('Outbound', r.outbound, oneWay), row('Inbound', r.inbound, oneWay), row('Round trip', r.round_trip)));
}

// Recent runs: round-trip min-max band and mean line, loss as red bars (right axis).
function chart(history) {
  const runs = history.filter((r) => !r.error).slice(-60);
  const W = 560, H = 180, L = 44, R = 40, T = 10, B = 26;
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `Round-trip delay and loss of the last ${runs.length} runs`});
  svg.append(s('title', {}, `Round-trip delay (ms, min-max band and mean) and loss (%) of the last ${runs.length} runs`));
  if (runs.length === 0) {
    svg.append(s('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle'}, 'no runs yet'));
    return svg;
  }
  const top = Math.max(...runs.map((r) => nsMs(r.round_trip.max_ns) || 0), 0.001) * 1.1;
  const maxLoss = Math.max(...runs.map((r) => lossPct(r)), 1);
  // Placed by when each run started, so a pause or a missed run shows as a gap.
  const t = (r) => Number(r.started_unix_ns) / 1e6;  // ms since the epoch
  const t0 = t(runs[0]), t1 = t(runs[runs.length - 1]);
  const clock = (when) => new Date(when).toISOString().slice(11, 19);
  const x = (i) => L + (t1 <= t0 ? (W - L - R) / 2 : ((t(runs[i]) - t0) * (W - L - R)) / (t1 - t0));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const ly = (v) => T + (H - T - B) * (1 - v / maxLoss);
  const bw = Math.max(2, Math.min(12, (W - L - R) / runs.length / 2));
  runs.forEach((r, i) => {
    if (lossPct(r) > 0) svg.append(s('rect', {class: 'loss', x: x(i) - bw / 2, y: ly(lossPct(r)), width: bw, height: H - B - ly(lossPct(r))},
      s('title', {}, `run ${r.run} at ${clock(t(r))}: ${pct(lossPct(r))} lost`)));
  });
  const upper = runs.map((r, i) => `${x(i)},${y(nsMs(r.round_trip.max_ns))}`);
  const lower = runs.map((r, i) => `${x(i)},${y(nsMs(r.round_trip.min_ns))}`).reverse();
  svg.append(s('polygon', {class: 'band', points: upper.concat(lower).join(' ')}));
  svg.append(s('polyline', {class: 'mean', points: runs.map((r, i) => `${x(i)},${y(nsMs(r.round_trip.mean_ns))}`).join(' ')}));
  runs.forEach((r, i) => svg.append(s('circle', {cx: x(i), cy: y(nsMs(r.round_trip.mean_ns)), r: 2.5, fill: '#1d5fbf'},
    s('title', {}, `run ${r.run} at ${clock(t(r))}: mean ${ms(nsMs(r.round_trip.mean_ns))} ms, min ${ms(nsMs(r.round_trip.min_ns))}, max ${ms(nsMs(r.round_trip.max_ns))}, jitter ${ms(nsMs(r.round_trip.jitter_ns))} ms, loss ${pct(lossPct(r))}`))));
  svg.append(s('line', {class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B}));
  svg.append(s('line', {class: 'axis', x1: L, y1: T, x2: L, y2: H - B}));
  svg.append(s('text', {x: L - 4, y: T + 8, 'text-anchor': 'end'}, ms(top)));
  svg.append(s('text', {x: L - 4, y: H - B, 'text-anchor': 'end'}, '0'));
  svg.append(s('text', {x: 2, y: H / 2, transform: `rotate(-90 8 ${H / 2})`}, 'RTT ms'));
  svg.append(s('text', {x: W - R + 4, y: T + 8}, pct(maxLoss)));
  svg.append(s('text', {x: W - R + 4, y: H - B}, 'loss'));
  svg.append(s('text', {x: L, y: H - 8}, clock(t0)));
  svg.append(s('text', {x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle'}, 'UTC, by start of run'));
  svg.append(s('text', {x: W - R, y: H - 8, 'text-anchor': 'end'}, clock(t1)));
  return svg;
}

async function loadResults(id, runs) {
  const r = await api('GET', '/api/sessions/' + encodeURIComponent(id) + '/results');
  const before = state.detail.get(id);  // keeps the chart's range over refreshes
  if (r.ok) state.detail.set(id, {kind: 'results', runs, last: r.data.last, history: r.data.history, range: before && before.range});
}

async function toggleResults(x) {
  const d = state.detail.get(x.id);
  if (d && d.kind === 'results') {
    state.detail.delete(x.id);
  } else {
    await loadResults(x.id, x.runs);
  }
  renderSessions();
}

async function runSession(x) {
  const path = '/api/sessions/' + encodeURIComponent(x.id) + '/run';
  if (x.run_mode === 'background') {
    const r = await api('POST', path + '?mode=background');
    if (!r.ok) return setLive('run of ' + x.name + ': ' + (r.data && r.data.error));
    state.detail.set(x.id, {kind: 'job', job: r.data.job, progress: null});
    renderSessions();
    for (;;) {
      await new Promise((ok) => setTimeout(ok, 300));
      const j = await api('GET', r.data.poll);
      if (!j.ok) break;
      if (j.data.state !== 'running' && j.data.result) {
        state.detail.set(x.id, {kind: 'run', background: true, run: j.data.result});
        break;
      }
      state.detail.set(x.id, {kind: 'job', job: r.data.job, progress: j.data.progress});
      renderSessions();
    }
    return loadSessions();
  }
  const button = $(`#row-${CSS.escape(x.id)} [data-action=run]`);
  if (button) {
    button.disabled = true;
    button.textContent = 'Running…';
  }
  const r = await api('POST', path, undefined, 0);
  if (r.data && r.data.sent !== undefined) {
    state.detail.set(x.id, {kind: 'run', run: r.data});
  } else {
    state.detail.set(x.id, {kind: 'run', run: {error: (r.data && r.data.error) || 'no answer'}});
  }
  await loadSessions();
}

// What the API changed on top of the file (kept over reloads and restarts),
// with a button that drops it all.
function showChanges(c) {
  $('#changes').hidden = c.count === 0;
  const what = c.changes.map((x) => `${x.kind} ${x.name || x.id} ${x.change}`).join(', ');
  $('#changes-text').textContent = `${c.count} change${c.count === 1 ? '' : 's'} made here, on top of the configuration file (kept over reloads and restarts): ${what}. `;
}

async function resetChanges() {
  if (!await confirmDelete('Drop every change made through the page or the API? The configuration file then applies as written.')) return;
  const r = await api('DELETE', '/api/changes');
  setLive(r.ok ? `dropped ${r.data.reset} changes: the file applies` : 'not dropped: ' + (r.data && r.data.error));
  await loadSessions();
}

function confirmDelete(text) {
  const dialog = $('#confirm-dialog');
  $('#confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((done) => dialog.addEventListener('close', () => done(dialog.returnValue === 'yes'), {once: true}));
}

async function deleteSession(x) {
  if (!await confirmDelete(`Delete the sender session ${x.name} (${x.id})? Its results stay in the log.`)) return;
  const r = await api('DELETE', '/api/sessions/' + encodeURIComponent(x.id));
  setLive(r.ok ? 'deleted ' + x.name : 'not deleted: ' + (r.data && r.data.error));
  state.detail.delete(x.id);
  await loadSessions();
}

// ------------------------------------------------------------------ add / edit

function fillSelects() {
  const dscp = $('#f-dscp');
  dscp.replaceChildren(...state.dscp.map((d) => h('option', {value: d.name}, `${d.name.toUpperCase()} (${d.value})`)),
    h('option', {value: 'custom'}, 'other value…'));
  const tunnel = $('#f-tunnel');
  tunnel.replaceChildren(h('option', {value: ''}, '(none: the session is its own line)'),
    ...state.tunnels.map((t) => h('option', {value: t.name}, t.name + (t.remote ? ' → ' + t.remote : ''))));
}

function senderFormChanged() {
  const form = $('#sender-form');
  const twamp = $('#f-protocol').value === 'twamp';
  for (const e of form.querySelectorAll('.twamp-only')) e.hidden = !twamp;
  $('.own-schedule', form).hidden = $('#f-global').checked;
  $('#f-dscp-custom').hidden = $('#f-dscp').value !== 'custom';
  $('#f-to').placeholder = $('#f-ipv6').checked ? '[::1]:18620' : '127.0.1.1:18620';
}

function openSender(x) {
  state.editing = x || null;
  const form = $('#sender-form');
  form.reset();
  clearErrors(form, $('#f-general'));
  $('#sender-title').textContent = x ? 'Edit ' + x.name : 'Add sender';
  $('#sender-submit').textContent = x ? 'Save' : 'Add';
  $('#f-name').readOnly = !!x;
  if (x) {
    $('#f-name').value = x.name;
    $('#f-tunnel').value = x.tunnel;
    $('#f-ipv6').checked = x.ip === 6;
    $('#f-to').value = x.remote;
    $('#f-from').value = x.local.match(/^(0\.0\.0\.0|\[::\]):0$/) ? '' : x.local;
    $('#f-protocol').value = x.protocol;
    $('#f-count').value = x.count;
    $('#f-interval').value = duration(x.interval_ms);
    $('#f-spacing').value = x.spacing;
    $('#f-padding').value = x.padding;
    const named = state.dscp.find((d) => d.value === x.dscp);
    $('#f-dscp').value = named ? named.name : 'custom';
    $('#f-dscp-custom').value = named ? '' : x.dscp;
    $('#f-ttl').value = x.ttl;
    $('#f-dont_fragment').checked = x.dont_fragment;
    $('#f-wait').value = duration(x.wait_ms);
    $('#f-global').checked = !x.own_schedule;
    $('#f-every').value = x.own_schedule && x.own_schedule.every ? x.own_schedule.every : '';
    $('#f-run_mode').value = x.run_mode;
  } else {
    $('#f-dscp').value = 'be';
  }
  senderFormChanged();
  $('#sender-dialog').showModal();
}

function senderBody() {
  const v = (id) => $('#' + id).value.trim();
  const number = (id) => (/^\d+$/.test(v(id)) ? Number(v(id)) : v(id));
  const body = {
    to: v('f-to'), tunnel: v('f-tunnel'), protocol: v('f-protocol'), ip: $('#f-ipv6').checked ? 6 : 4,
    count: number('f-count'), interval: v('f-interval'), spacing: v('f-spacing'), padding: number('f-padding'),
    dscp: v('f-dscp') === 'custom' ? number('f-dscp-custom') : v('f-dscp'), ttl: number('f-ttl'),
    dont_fragment: $('#f-dont_fragment').checked, wait: v('f-wait'), run_mode: v('f-run_mode'),
  };
  if (v('f-from')) body.from = v('f-from'); else if (state.editing) body.from = null;
  if (!body.tunnel) {
    if (state.editing) body.tunnel = null; else delete body.tunnel;
  }
  if (body.protocol === 'twamp') {
    if (v('f-mode')) body.mode = v('f-mode');
    if (v('f-key_id')) body.key_id = v('f-key_id');
  } else if (state.editing) {
    body.mode = null;
    body.key_id = null;
  }
  if (!$('#f-global').checked) body.schedule = {every: v('f-every')};
  else if (state.editing) body.schedule = null;
  if (!state.editing) body.name = v('f-name');
  return body;
}

// API field -> form field id.
function senderField(field) {
  if (['every', 'at', 'schedule'].includes(field)) return 'f-schedule';
  if (field === 'ip') return 'f-ip';
  return field ? 'f-' + field : null;
}

async function submitSender(event) {
  event.preventDefault();
  const form = $('#sender-form');
  const x = state.editing;
  const r = x ? await api('PUT', '/api/sessions/' + encodeURIComponent(x.id), senderBody())
    : await api('POST', '/api/sessions', senderBody());
  if (!r.ok) return showErrors(form, $('#f-general'), r.data, senderField);
  $('#sender-dialog').close();
  setLive((x ? 'saved ' : 'added ') + r.data.name + ' (' + r.data.id + ')');
  if (x && x.id !== r.data.id) state.detail.delete(x.id);
  if (!x) {  // show the new session: filter to it
    state.filter = '';
    $('#filter').value = '';
  }
  await loadSessions();
  if (!x && !$('#row-' + CSS.escape(r.data.id))) {
    state.filter = r.data.name;
    $('#filter').value = r.data.name;
    state.offset = 0;
    await loadSessions();
  }
}

// ------------------------------------------------------------------ schedule

function openSchedule(x) {
  state.scheduling = x;
  const form = $('#schedule-form');
  form.reset();
  $('#s-error').textContent = '';
  $('#schedule-title').textContent = 'Schedule of ' + x.name;
  const own = x.own_schedule;
  $('#s-global-label').textContent = 'Global schedule' + (own ? '' : ' (' + x.schedule.replace(/^global: /, '') + ')');
  if (!own) $('#s-global').checked = true;
  else if (own.every) {
    $('#s-every-kind').checked = true;
    $('#s-every').value = own.every;
  } else {
    $('#s-at-kind').checked = true;
    $('#s-at').value = own.at.join('\n');
  }
  $('#schedule-dialog').showModal();
}

async function submitSchedule(event) {
  event.preventDefault();
  const x = state.scheduling;
  const kind = ($('#schedule-form input[name=kind]:checked') || {}).value || 'global';
  const body = kind === 'global' ? {global: true}
    : kind === 'every' ? {every: $('#s-every').value.trim()}
      : {at: $('#s-at').value.split('\n').map((l) => l.trim()).filter((l) => l)};
  const r = await api('PUT', '/api/sessions/' + encodeURIComponent(x.id) + '/schedule', body);
  if (!r.ok) {
    const errors = (r.data && r.data.errors) || [];
    $('#s-error').textContent = errors.length ? errors.map((e) => e.message).join('; ') : (r.data && r.data.error) || 'refused';
    return;
  }
  $('#schedule-dialog').close();
  setLive(x.name + ': ' + r.data.schedule);
  await loadSessions();
}

// ------------------------------------------------------------------ responders

async function loadResponders() {
  const r = await api('GET', '/api/responders');
  if (!r.ok) return;
  const rows = [];
  for (const x of r.data) {
    const dropped = Object.entries(x.dropped).filter(([, n]) => n > 0);
    const total = dropped.reduce((a, [, n]) => a + n, 0);
    rows.push(h('tr', {'data-id': x.id},
      h('td', {}, x.name), h('td', {}, h('code', {}, x.listen + (x.interface ? '@' + x.interface : ''))),
      h('td', {}, {stamp: 'STAMP', light: 'TWAMP Light', twamp: 'TWAMP server'}[x.kind]),
      h('td', {class: 'num received'}, x.received), h('td', {class: 'num reflected'}, x.reflected),
      h('td', {class: 'dropped'}, total === 0 ? '0' : [String(total), ': ', dropped.map(([k, n]) => `${k} ${n}`).join(', ')]),
      h('td', {class: 'actions-cell'}, h('button', {type: 'button', 'aria-label': 'Delete ' + x.name, onclick: () => deleteResponder(x)}, 'Delete'))));
    if (x.server_table !== undefined) {
      rows.push(h('tr', {class: 'detail'}, h('td', {colspan: 7},
        h('details', {open: true}, h('summary', {}, 'TWAMP server: connections and test sessions'), h('pre', {class: 'table'}, x.server_table)))));
    }
  }
  if (rows.length === 0) rows.push(h('tr', {}, h('td', {colspan: 7, class: 'muted'}, 'No responders.')));
  keepingFocus(() => $('#responders tbody').replaceChildren(...rows));
}

async function deleteResponder(x) {
  if (!await confirmDelete(`Delete the responder ${x.name} on ${x.listen}? Test packets to it go unanswered.`)) return;
  const r = await api('DELETE', '/api/responders/' + encodeURIComponent(x.id));
  setLive(r.ok ? 'deleted responder ' + x.name : 'not deleted: ' + (r.data && r.data.error));
  await loadResponders();
}

async function submitResponder(event) {
  event.preventDefault();
  const form = $('#responder-form');
  const body = {listen: $('#r-listen').value.trim(), kind: $('#r-kind').value};
  if ($('#r-name').value.trim()) body.name = $('#r-name').value.trim();
  const allow = $('#r-allow').value.split(',').map((a) => a.trim()).filter((a) => a);
  if (allow.length) body.allow = allow;
  const r = await api('POST', '/api/responders', body);
  if (!r.ok) return showErrors(form, $('#r-general'), r.data, (f) => (f ? 'r-' + f : null));
  clearErrors(form, $('#r-general'));
  form.reset();
  setLive('added responder on ' + body.listen);
  await loadResponders();
}

// ------------------------------------------------------------------ paths

async function loadPaths() {
  const [paths, ranking, decisions] = await Promise.all([api('GET', '/api/paths'), api('GET', '/api/ranking'),
    api('GET', '/api/decisions?limit=30')]);
  if (!paths.ok || !ranking.ok || !decisions.ok) return;
  const cards = [];
  const shown = new Set();
  for (const [cls, a] of Object.entries(paths.data)) {
    const sla = a.sla_class || cls;
    shown.add(sla);
    cards.push(classCard(cls, a, sla, ranking.data[sla] || []));
  }
  for (const [sla, list] of Object.entries(ranking.data)) {
    if (!shown.has(sla)) cards.push(classCard(null, null, sla, list));
  }
  $('#classes').replaceChildren(h('div', {class: 'classes'}, cards));
  const first = state.seenDecisions === null;
  const seen = state.seenDecisions || new Set();
  const rows = decisions.data.slice().reverse().map((d) => {
    const key = d.time + d.traffic_class + d.to;
    const row = h('tr', {class: !first && !seen.has(key) ? 'new' : null},
      h('td', {}, when(d.time)), h('td', {}, d.traffic_class), h('td', {}, d.from || '–'), h('td', {}, h('strong', {}, d.to)),
      h('td', {}, d.rule), h('td', {}, d.reason));
    seen.add(key);
    return row;
  });
  state.seenDecisions = seen;
  if (rows.length === 0) rows.push(h('tr', {}, h('td', {colspan: 6, class: 'muted'}, 'No decision yet.')));
  $('#decisions tbody').replaceChildren(...rows);
}

function slaState(v) {
  if (!v.judged) return h('span', {class: 'badge'}, 'not judged yet');
  if (v.down) return h('span', {class: 'badge bad'}, 'down');
  if (v.unknown) return h('span', {class: 'badge bad', title: 'no fresh measurement: never compliant, never a target'}, 'unknown');
  if (!v.compliant) return h('span', {class: 'badge warn'}, 'violated' + (v.violated ? ': ' + v.violated : ''));
  return h('span', {class: 'badge good'}, 'compliant');
}

function classCard(cls, a, sla, list) {
  return h('section', {class: 'card', 'data-class': cls || sla, 'aria-label': (cls ? 'Traffic class ' + cls : 'SLA class ' + sla)},
    h('h3', {}, cls ? `${cls}` : `SLA class ${sla}`, cls && sla !== cls ? h('span', {class: 'muted'}, ` (SLA class ${sla})`) : null),
    a ? h('p', {class: 'current'}, 'Current line: ', h('strong', {class: 'current-line'}, a.to || 'none yet'),
      a.to ? h('span', {class: 'muted'}, ` since ${when(a.since)}` + (a.rule ? ` (${a.rule})` : '') + (a.path.length > 1 ? ', via ' + a.path.join(' → ') : '')) : null) : null,
    h('table', {class: 'grid ranking'},
      h('thead', {}, h('tr', {}, ['#', 'Tunnel', 'Score', 'SLA', 'Latency', 'Jitter', 'Loss'].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, list.map((v, i) => h('tr', {'data-tunnel': v.tunnel},
        h('td', {}, i + 1), h('td', {}, v.tunnel),
        h('td', {}, h('span', {class: 'meter', 'aria-hidden': 'true'}, h('span', {style: `width:${Math.round(v.score * 100)}%`})), v.score.toFixed(3)),
        h('td', {}, slaState(v)),
        h('td', {class: 'num'}, v.judged ? ms(v.latency_ms) + ' ms' : '–'), h('td', {class: 'num'}, v.judged ? ms(v.jitter_ms) + ' ms' : '–'),
        h('td', {class: 'num'}, v.judged ? pct(v.loss_percent) : '–'))))),
    a && a.damping && a.damping.length ? h('p', {class: 'damping muted'}, 'Flap damping: ',
      a.damping.map((d) => `${d.tunnel} ${Math.round(d.penalty)}` + (d.suppressed ? ' (suppressed)' : '') +
        ` after ${d.failures} failure${d.failures === 1 ? '' : 's'}`).join(', ')) : null);
}

// ------------------------------------------------------------------ report

function reportRange(seconds) {
  const now = new Date();
  const iso = (d) => d.toISOString().slice(0, 19);
  $('#rep-to').value = iso(now);
  $('#rep-from').value = iso(new Date(now.getTime() - seconds * 1000));
  reportLink();
}

function reportLink() {
  const q = new URLSearchParams();
  // A datetime-local input drops ':00' seconds; the API takes either form.
  const utc = (v) => v + 'Z';
  if ($('#rep-from').value) q.set('from', utc($('#rep-from').value));
  if ($('#rep-to').value) q.set('to', utc($('#rep-to').value));
  $('#report-link').href = '/api/report?' + q;
}

// With a token the report is fetched with it and shown from memory.
async function openReport(event) {
  if (!state.token) return;
  event.preventDefault();
  const res = await fetch($('#report-link').href, {headers: {Authorization: 'Bearer ' + state.token}});
  const blob = await res.blob();
  window.open(URL.createObjectURL(blob), '_blank', 'noopener');
}

// ------------------------------------------------------------------ views

function show(view) {
  state.view = ['lines', 'sessions', 'responders', 'paths', 'report'].includes(view) ? view : 'sessions';
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.dataset.view !== state.view;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  refresh();
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  state.unreachable = null;
  try {
    if (state.view === 'lines') await loadLines();
    else if (state.view === 'sessions') await loadSessions();
    else if (state.view === 'responders') await loadResponders();
    else if (state.view === 'paths') await loadPaths();
    else await api('GET', '/api/dscp');  // the report view: is the daemon there?
    showLiveness();
  } finally {
    refreshing = false;
  }
}

// A daemon that stops answering must not look live: a banner says since when,
// the figures are greyed as old, and the clock stops at the last answer.
function showLiveness() {
  const clock = (t) => t.toISOString().slice(11, 19) + ' UTC';
  if (state.unreachable) {
    if (!state.downSince) state.downSince = new Date();
    $('#down').textContent = 'The daemon does not answer since ' + clock(state.downSince) +
      ' (' + state.unreachable + '): what you see is from ' +
      (state.lastAnswer ? clock(state.lastAnswer) : 'before then') + '. Retrying every ' + POLL_MS / 1000 + ' s.';
    $('#down').hidden = false;
    document.body.classList.add('stale');
    setLive(state.lastAnswer ? 'last answer ' + clock(state.lastAnswer) : 'no answer yet');
    return;
  }
  state.downSince = null;
  state.lastAnswer = new Date();
  $('#down').hidden = true;
  document.body.classList.remove('stale');
  setLive('updated ' + clock(state.lastAnswer));
}

// Lines, worst first: down, then unknown (no fresh measurement), then by how
// many classes they miss, then by session faults; names before ids.
async function loadLines() {
  const [tunnels, ranking, paths, events] = await Promise.all([api('GET', '/api/tunnels'), api('GET', '/api/ranking'),
    api('GET', '/api/paths'), api('GET', '/api/events?limit=50')]);
  if (!tunnels.ok || !ranking.ok || !paths.ok || !events.ok) return;
  const labels = {violated: 'out of SLA', recovered: 'back in SLA', down: 'down', up: 'up',
    session_fault: 'session fault', session_recovered: 'session back', switch: 'switch'};
  const happened = events.data.slice().reverse().map((e) => h('tr', {class: 'event-' + e.kind},
    h('td', {}, when(e.time)), h('td', {}, h('strong', {}, labels[e.kind] || e.kind)), h('td', {}, e.tunnel || '–'),
    h('td', {}, e.text)));
  if (happened.length === 0) happened.push(h('tr', {}, h('td', {colspan: 4, class: 'muted'}, 'Nothing has happened yet.')));
  $('#events tbody').replaceChildren(...happened);
  const lines = new Map();
  const line = (name) => {
    if (!lines.has(name)) lines.set(name, {name, site: '', down: false, unknown: false, out: [], worst: null, carries: [], sessions: 0, faulty: 0});
    return lines.get(name);
  };
  for (const t of tunnels.data) {
    const l = line(t.name);
    l.site = t.site || '';
    l.sessions = (t.sessions || []).length;
    l.faulty = (t.faulty_sessions || []).length;
  }
  for (const [sla, list] of Object.entries(ranking.data)) {
    for (const v of list) {
      const l = line(v.tunnel);
      l.down = l.down || v.down;
      l.unknown = l.unknown || v.unknown;
      if (v.judged && !v.compliant && !v.down) l.out.push(sla + (v.violated ? ' (' + v.violated + ')' : ''));
      if (v.judged && (!l.worst || v.loss_percent > l.worst.loss_percent || v.latency_ms > l.worst.latency_ms)) l.worst = v;
    }
  }
  for (const [cls, a] of Object.entries(paths.data)) if (a.to) line(a.to).carries.push(cls);
  const rank = (l) => (l.down ? 0 : l.unknown ? 1 : l.out.length ? 2 : l.faulty ? 3 : 4);
  const sorted = [...lines.values()].sort((a, b) => rank(a) - rank(b) || b.out.length - a.out.length || a.name.localeCompare(b.name));
  const fixed = (x, digits) => (x === null || x === undefined || x === false ? '–' : Number(x).toFixed(digits));
  const rows = sorted.map((l) => {
    const state = l.down ? 'down' : l.unknown ? 'unknown' : l.out.length ? 'out of SLA' : l.faulty ? 'session fault' : 'good';
    return h('tr', {'data-line': l.name, class: 'line-' + state.replace(/ /g, '-')},
      h('th', {scope: 'row'}, l.name), h('td', {}, l.site || '–'), h('td', {}, h('strong', {}, state)),
      // A dark line has no delay to show, only its loss.
      h('td', {}, l.out.join(', ') || '–'), h('td', {}, fixed(!l.down && l.worst && l.worst.latency_ms, 2)),
      h('td', {}, fixed(!l.down && l.worst && l.worst.jitter_ms, 2)), h('td', {}, fixed(l.worst && l.worst.loss_percent, 2)),
      h('td', {}, l.carries.join(', ') || '–'),
      h('td', {}, l.sessions + (l.faulty ? ' (' + l.faulty + ' unanswered)' : '')));
  });
  if (rows.length === 0) rows.push(h('tr', {}, h('td', {colspan: 9, class: 'muted'}, 'No line configured (tunnels: in the file).')));
  $('#lines tbody').replaceChildren(...rows);
}

async function start() {
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('#token').value;
    sessionStorage.setItem('lineup-token', state.token);
    $('#token-form').hidden = true;
    loadListsAndShow();
  });
  $('#filter').addEventListener('input', () => {
    state.filter = $('#filter').value.trim();
    state.offset = 0;
    loadSessions();
  });
  $('#prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); loadSessions(); });
  $('#next').addEventListener('click', () => { state.offset += PAGE_SIZE; loadSessions(); });
  $('#add-sender').addEventListener('click', () => openSender(null));
  $('#changes-reset').addEventListener('click', resetChanges);
  $('#sender-form').addEventListener('submit', submitSender);
  $('#sender-form').addEventListener('change', senderFormChanged);
  $('#f-tunnel').addEventListener('change', () => {
    const t = state.tunnels.find((x) => x.name === $('#f-tunnel').value);
    if (t && t.remote && !$('#f-to').value) $('#f-to').value = t.remote;
  });
  $('#schedule-form').addEventListener('submit', submitSchedule);
  $('#responder-form').addEventListener('submit', submitResponder);
  for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => b.closest('dialog').close());
  for (const b of document.querySelectorAll('[data-range]')) b.addEventListener('click', () => reportRange(Number(b.dataset.range)));
  $('#rep-from').addEventListener('change', reportLink);
  $('#rep-to').addEventListener('change', reportLink);
  $('#report-link').addEventListener('click', openReport);
  reportRange(3600);
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  setInterval(() => { if (!document.hidden && !document.querySelector('dialog[open]')) refresh(); }, POLL_MS);
  await loadListsAndShow();
}

async function loadListsAndShow() {
  const [dscp, tunnels] = await Promise.all([api('GET', '/api/dscp'), api('GET', '/api/tunnels')]);
  if (dscp.ok) state.dscp = dscp.data;
  if (tunnels.ok) state.tunnels = tunnels.data;
  fillSelects();
  show(location.hash.slice(1));
}

start();

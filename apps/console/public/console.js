// The live view: arrows arrive over Server-Sent Events (/api/events) and are drawn as rows of a
// sequence diagram, one lane per service. No framework and no build step: plain DOM and SVG.
const SVG = 'http://www.w3.org/2000/svg';
const GUTTER = 160; // time and request id, left of the first lane
const LANE_WIDTH = 132;
const ROW_HEIGHT = 40;
const TOP = 14;
const MAX_ARROWS = 5000;

const state = { lanes: [], arrows: [], shown: [], filter: '', filterCalls: new Set(), selected: 0 };
const $ = (id) => document.getElementById(id);

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const laneX = (lane) => GUTTER + state.lanes.indexOf(lane) * LANE_WIDTH + LANE_WIDTH / 2;

/** An arrow belongs to the filtered request if it carries its id, or is the reply to one of its calls. */
function passes(arrow) {
  if (!state.filter) return true;
  if (arrow.requestId === state.filter) {
    if (arrow.kind === 'call' && arrow.msgId) state.filterCalls.add(arrow.msgId);
    return true;
  }
  return arrow.kind === 'reply' && state.filterCalls.has(arrow.msgId);
}

function clock(time) {
  const date = new Date(time);
  return `${date.toTimeString().slice(0, 8)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

const rowY = (index) => TOP + index * ROW_HEIGHT;

/** One arrow as a row; rows are placed by rowY, so a late arrow can be slid in between. */
function drawRow(arrow, index) {
  const y = 18;
  const failure = arrow.kind === 'reply' && arrow.label.startsWith('failure');
  const group = el('g', {
    class: `arrow kind-${arrow.kind}${failure ? ' failure' : ''}${arrow.seq === state.selected ? ' selected' : ''}`,
    'data-seq': arrow.seq,
    'data-kind': arrow.kind,
    'data-from': arrow.from,
    'data-to': arrow.to,
    'data-request-id': arrow.requestId ?? '',
    transform: `translate(0 ${rowY(index)})`,
  });
  group.append(el('rect', { class: 'hit', x: 0, y: y - 18, width: GUTTER + state.lanes.length * LANE_WIDTH, height: ROW_HEIGHT }));
  group.append(el('text', { class: 'time', x: 8, y: y - 3 }, clock(arrow.time)));
  if (arrow.requestId) {
    const request = el('text', { class: 'request', x: 8, y: y + 11, 'data-request-id': arrow.requestId }, arrow.requestId.slice(0, 22));
    request.append(el('title', {}, `filter on ${arrow.requestId}`));
    group.append(request);
  }
  const from = laneX(arrow.from);
  const to = laneX(arrow.to);
  const head = arrow.kind === 'cast' || arrow.kind === 'fanout' || arrow.kind === 'notification' ? 'url(#open-head)' : 'url(#head)';
  let labelX = (from + to) / 2;
  if (from === to) {
    group.append(el('path', { d: `M${from},${y - 2} h34 v12 h-32`, 'marker-end': head }));
    labelX = from + 40;
  } else {
    group.append(el('line', { x1: from, y1: y, x2: to + (to > from ? -3 : 3), y2: y, 'marker-end': head }));
  }
  const anchor = from === to ? { 'text-anchor': 'start' } : {};
  group.append(el('text', { class: 'label', x: labelX, y: y - 5, ...anchor }, arrow.label));
  const ms = arrow.ms !== undefined ? ` · ${arrow.ms} ms` : '';
  group.append(el('text', { class: 'via', x: labelX, y: y + 13, ...anchor }, `${arrow.via}${ms}`));
  group.append(el('title', {}, `${arrow.kind}: ${arrow.from} → ${arrow.to}\n${arrow.label}\n${arrow.via}${ms}`));
  return group;
}

function resize() {
  const width = GUTTER + state.lanes.length * LANE_WIDTH + 40;
  const height = TOP + state.shown.length * ROW_HEIGHT + 30;
  const svg = $('diagram');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  for (const line of $('lifelines').children) line.setAttribute('y2', height);
  $('lane-names').style.width = `${width}px`;
  $('empty').hidden = state.shown.length > 0;
}

function drawLanes() {
  const names = $('lane-names');
  const lifelines = $('lifelines');
  names.replaceChildren();
  lifelines.replaceChildren();
  for (const lane of state.lanes) {
    const name = document.createElement('div');
    name.textContent = lane;
    name.style.left = `${laneX(lane)}px`;
    name.dataset.lane = lane;
    names.append(name);
    lifelines.append(el('line', { class: 'lifeline', x1: laneX(lane), y1: 0, x2: laneX(lane), y2: 0 }));
  }
}

function redraw() {
  state.filterCalls = new Set();
  state.shown = state.arrows.filter(passes).sort((a, b) => a.time - b.time);
  drawLanes();
  $('rows').replaceChildren(...state.shown.map(drawRow));
  resize();
  follow();
}

function follow() {
  if (!$('follow').checked) return;
  const pane = $('diagram-pane');
  pane.scrollTop = pane.scrollHeight;
}

function addArrow(arrow) {
  state.arrows.push(arrow);
  if (state.arrows.length > MAX_ARROWS) {
    state.arrows.splice(0, state.arrows.length - MAX_ARROWS);
    if (!state.filter) return redraw();
  }
  if (!passes(arrow)) return;
  // A REST call is reported when it returns, after what it caused: it goes in at its start time.
  let index = state.shown.length;
  while (index > 0 && state.shown[index - 1].time > arrow.time) index--;
  state.shown.splice(index, 0, arrow);
  const rows = $('rows');
  rows.insertBefore(drawRow(arrow, index), rows.children[index] ?? null);
  for (let i = index + 1; i < rows.children.length; i++) rows.children[i].setAttribute('transform', `translate(0 ${rowY(i)})`);
  resize();
  follow();
}

function setLanes(lanes) {
  if (lanes.join('\n') === state.lanes.join('\n')) return;
  state.lanes = lanes;
  redraw();
}

function setFilter(requestId) {
  state.filter = requestId.trim();
  $('request-id').value = state.filter;
  const url = new URL(location.href);
  if (state.filter) url.searchParams.set('request_id', state.filter);
  else url.searchParams.delete('request_id');
  history.replaceState(null, '', url);
  redraw();
}

const escapeText = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const json = (value) => `<pre>${escapeText(JSON.stringify(value, null, 2))}</pre>`;

async function select(seq) {
  state.selected = seq;
  for (const row of document.querySelectorAll('.arrow.selected')) row.classList.remove('selected');
  document.querySelector(`.arrow[data-seq="${seq}"]`)?.classList.add('selected');
  const pane = $('message');
  const answer = await fetch(`api/messages/${seq}`);
  if (!answer.ok) {
    pane.innerHTML = `<h2>Message</h2><p class="hint">This arrow is no longer kept by the console.</p>`;
    return;
  }
  const { arrow, wire } = await answer.json();
  const rows = [
    ['kind', arrow.kind], ['from → to', `${arrow.from} → ${arrow.to}`], ['what', arrow.label], ['via', arrow.via],
    ['request id', arrow.requestId ?? '–'], ['msg id', arrow.msgId ?? '–'], ['time', clock(arrow.time)],
    ...(arrow.ms !== undefined ? [[arrow.kind === 'reply' ? 'round trip' : 'took', `${arrow.ms} ms`]] : []),
  ];
  let html = `<h2>Message <small>#${arrow.seq}</small></h2><dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${escapeText(v)}</dd>`).join('')}</dl>`;
  if (wire) {
    html += `<h3>Context <small>(secrets masked)</small></h3>${json(wire.context)}`;
    if (wire.payload !== undefined) html += `<h3>${arrow.kind === 'reply' ? 'Result' : arrow.kind === 'notification' ? 'Payload' : 'Arguments'}</h3>${json(wire.payload)}`;
    html += `<h3>On the wire</h3><dl><dt>exchange</dt><dd>${escapeText(wire.exchange || '(default)')}</dd><dt>routing key</dt><dd>${escapeText(wire.routingKey)}</dd>`;
    html += `<dt>queues</dt><dd>${escapeText(wire.queues.join(', ') || '(none)')}</dd><dt>publisher</dt><dd>${escapeText(wire.publisher)}</dd></dl>`;
    html += `<h3>Body <small>(oslo envelope, oslo.message parsed)</small></h3>${json(wire.body)}`;
    if (Object.keys(wire.headers).length > 0) html += `<h3>Headers</h3>${json(wire.headers)}`;
  } else {
    html += `<p class="hint">A REST call between projects: no bus message. Its request id travels in the X-Openstack-Request-Id header.</p>`;
  }
  pane.innerHTML = html;
}

function showCounters(counters) {
  const cell = (value) => `<td class="n">${value ?? ''}</td>`;
  $('counters').tBodies[0].innerHTML = counters
    .map((c) => `<tr class="kind-${c.kind}"><td>${c.kind}</td><td>${escapeText(c.name)}</td>${cell(c.count)}${cell(c.replies !== undefined ? `${c.replies}${c.failures ? ` (${c.failures} failed)` : ''}` : '')}${cell(c.meanMs)}${cell(c.maxMs)}</tr>`)
    .join('');
}

function connect() {
  const events = new EventSource('api/events');
  const status = $('status');
  events.addEventListener('hello', (event) => {
    const hello = JSON.parse(event.data);
    $('taps').textContent = `tapping: ${hello.taps.join(' · ')}`;
    status.textContent = 'live';
    status.className = 'status live';
  });
  events.addEventListener('lanes', (event) => setLanes(JSON.parse(event.data)));
  events.addEventListener('arrow', (event) => addArrow(JSON.parse(event.data)));
  events.addEventListener('counters', (event) => showCounters(JSON.parse(event.data)));
  events.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.className = 'status connecting';
  });
}

$('rows').addEventListener('click', (event) => {
  const request = event.target.closest('text.request');
  if (request) return setFilter(request.dataset.requestId);
  const row = event.target.closest('.arrow');
  if (row) select(Number(row.dataset.seq));
});
$('filter').addEventListener('submit', (event) => {
  event.preventDefault();
  setFilter($('request-id').value);
});
$('clear-filter').addEventListener('click', () => setFilter(''));
$('follow').addEventListener('change', follow);

setFilter(new URL(location.href).searchParams.get('request_id') ?? '');
connect();

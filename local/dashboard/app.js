// The local dashboard: polls GET /local/dashboard once a second and redraws what changed.
import { drawGraph } from './graph.js';

const POLL_MS = 1000;
const $ = (selector, root = document) => root.querySelector(selector);

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('data'))
      node.setAttribute(
        key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
        value,
      );
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) node.append(child);
  return node;
}

const time = (iso) => {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
};
const seconds = (from, to) => (from && to ? `${((new Date(to) - new Date(from)) / 1000).toFixed(1)} s` : '');
const label = (status) => String(status).replaceAll('_', ' ');

function section(id, items, render) {
  const root = document.getElementById(id);
  $('.empty', root).hidden = items.length > 0;
  $(`[data-count="${id}"]`, root).textContent = items.length ? `(${items.length})` : '';
  $('.list', root).replaceChildren(...items.map(render));
}

// ------------------------------------------------------------------ shipments

const SHOWN_DETAILS = ['carrier', 'location', 'reason', 'nextAttemptAt', 'eta', 'signedBy'];

function renderShipment(shipment) {
  const details = (entry) =>
    Object.entries(entry.details ?? {})
      .filter(([key, value]) => SHOWN_DETAILS.includes(key) && (typeof value === 'string' || typeof value === 'number'))
      .map(([key, value]) => `${key}: ${value}`)
      .join(' · ');
  return h(
    'article',
    { class: 'card shipment', dataShipmentId: shipment.shipmentId },
    h(
      'header',
      {},
      h('strong', {}, shipment.shipmentId),
      h('span', { class: `badge status-${shipment.status}`, dataStatus: shipment.status }, label(shipment.status)),
      shipment.owner ? h('span', { class: 'owner', dataOwner: shipment.owner, title: 'the warehouse that owns it' }, shipment.owner) : null,
      h('span', { class: 'muted' }, [shipment.customer?.name, shipment.customer?.phone, shipment.carrier].filter(Boolean).join(' · ')),
    ),
    shipment.nextCursor ? h('p', { class: 'muted small' }, 'Earlier events: GET /v1/shipments/{id} with the cursor.') : null,
    h(
      'ol',
      { class: 'timeline' },
      // The newest page of the history, shown in the order it happened.
      (shipment.order === 'newest' ? [...shipment.timeline].reverse() : shipment.timeline).map((entry) =>
        h(
          'li',
          { class: entry.status === shipment.status && entry.time === shipment.statusTime ? 'current' : '', dataStatus: entry.status },
          h('span', { class: `dot status-${entry.status}` }),
          h('span', { class: 'what' }, label(entry.status)),
          h('time', { datetime: entry.time }, time(entry.time)),
          h('span', { class: 'muted small', title: `${entry.source} ${entry.id}` }, details(entry)),
        ),
      ),
    ),
    shipment.notifications?.length
      ? h(
          'p',
          { class: 'notifications' },
          // One chip per message: its delivery status as the provider's receipts left it, why, and whether it was a fallback.
          // A combined message of the shipment's order says so, and how many other parcels it named.
          shipment.notifications.map((n) =>
            h(
              'span',
              {
                class: `chip outcome-${n.outcome}${n.order ? ' combined' : ''}`,
                dataOutcome: n.outcome,
                dataChannel: n.channel,
                dataOrder: n.order?.orderId,
                title: [
                  // A status is told once per entry into it: which entry this chip is about.
                  n.statusTime && `${label(n.status)} since ${time(n.statusTime)}`,
                  n.sentAt && `sent ${time(n.sentAt)}`,
                  n.finalAt && `${n.outcome} ${time(n.finalAt)}`,
                  `last change ${time(n.at)}`,
                  n.providerMessageId && `provider id ${n.providerMessageId}`,
                ]
                  .filter(Boolean)
                  .join(' · '),
              },
              `${n.channel === 'sms' ? '✉︎ SMS' : '@ email'} ${label(n.status)}: ${n.outcome}` +
                `${n.reason ? ` (${n.reason})` : ''}${n.fallbackFrom ? ` ← fallback from ${n.fallbackFrom}` : ''}` +
                `${n.order ? ` · ${combinedWith(n.order, shipment.shipmentId)}` : ''}`,
            ),
          ),
        )
      : null,
  );
}

/** How a combined message reads on one of its parcels: the others it named, and the order. */
function combinedWith(order, shipmentId) {
  const others = order.shipmentIds.filter((id) => id !== shipmentId).length;
  return `combined with ${others} other parcel${others === 1 ? '' : 's'} of order ${order.orderId}`;
}

/** The warehouses that own a shown shipment, as the filter's choices; the chosen one kept. */
function renderOwnerFilter(shipments) {
  const select = $('#owner-filter');
  const owners = [...new Set(shipments.map((shipment) => shipment.owner).filter(Boolean))].sort();
  const chosen = select.value;
  select.replaceChildren(h('option', { value: '' }, 'all'), ...owners.map((owner) => h('option', { value: owner }, owner)));
  select.value = owners.includes(chosen) ? chosen : '';
  select.closest('label').hidden = owners.length === 0;
}

function showShipments(shipments) {
  renderOwnerFilter(shipments);
  const owner = $('#owner-filter').value;
  section('shipments', owner ? shipments.filter((shipment) => shipment.owner === owner) : shipments, renderShipment);
}

// ------------------------------------------------------------------ outbox

function renderMessage(message) {
  const about = [message.about, time(message.time)].filter(Boolean).join(' · ');
  if (message.channel === 'sms') {
    const { encoding, segments, units } = message.sms ?? {};
    return h(
      'article',
      { class: 'message sms', dataChannel: 'sms', dataSegments: segments },
      h('header', {}, h('strong', {}, `SMS to ${message.recipient}`), h('span', { class: 'muted' }, about)),
      h('p', { class: 'bubble' }, message.text),
      h(
        'footer',
        { class: 'muted small' },
        `${encoding} · ${units} ${encoding === 'GSM-7' ? 'septets' : 'UTF-16 units'} · ${segments} segment${segments === 1 ? '' : 's'}`,
      ),
    );
  }
  return h(
    'article',
    { class: 'message email', dataChannel: message.channel },
    h('header', {}, h('strong', {}, `Email to ${message.recipient}`), h('span', { class: 'muted' }, about)),
    h('p', { class: 'subject' }, message.subject ?? '(no subject)'),
    h('pre', { class: 'mail-body' }, message.text),
  );
}

// ------------------------------------------------------------------ stall timers

function renderTimer(timer) {
  return h(
    'article',
    { class: 'timer', dataShipment: timer.shipmentId },
    h('strong', {}, timer.shipmentId),
    h('span', { class: 'muted' }, ` · tells the customer it is delayed at ${time(timer.fireAt)} unless it moves on`),
  );
}

// ------------------------------------------------------------------ order windows

function renderOrderWindow(window) {
  const members = `${window.members.length}${window.parcelCount ? ` of ${window.parcelCount}` : ''} parcel${(window.parcelCount ?? window.members.length) === 1 ? '' : 's'}`;
  return h(
    'article',
    { class: 'order-window', dataOrder: window.orderId, dataStatus: window.status, dataMembers: window.members.length },
    h('strong', {}, window.orderId),
    h('span', { class: `badge status-${window.status}` }, label(window.status)),
    window.owner ? h('span', { class: 'owner' }, window.owner) : null,
    h(
      'span',
      { class: 'muted' },
      ` · ${members} so far (${window.members.join(', ')})`,
      window.closesAt ? h('time', { datetime: window.closesAt }, ` · closes at ${time(window.closesAt)}`) : null,
    ),
  );
}

// ------------------------------------------------------------------ executions

let architecture = { stateMachines: [] };

/** A visit to a state inside a Map or Parallel lights up that Map or Parallel state. */
function topLevel(machine) {
  const parent = new Map();
  for (const state of machine?.graph.states ?? []) for (const inner of state.inner ?? []) parent.set(inner, state.name);
  return (name) => parent.get(name) ?? name;
}

function stateClasses(history, owner) {
  const classes = new Map();
  for (const visit of history) {
    const state = owner(visit.state);
    const current = classes.get(state);
    const next =
      visit.status === 'running' ? 'current' : visit.status === 'failed' ? 'failed' : visit.status === 'caught' ? 'caught' : 'visited';
    if (current !== 'current' && current !== 'failed') classes.set(state, next);
  }
  return classes;
}

function renderExecution(execution) {
  const machine = architecture.stateMachines.find((candidate) => candidate.name === execution.machine) ?? architecture.stateMachines[0];
  const owner = topLevel(machine);
  const classes = stateClasses(execution.history, owner);
  let graph = h('p', { class: 'muted' }, 'No state machine definition found for this execution.');
  if (machine) {
    const svg = drawGraph({
      nodes: machine.graph.states.map((state) => ({
        id: state.name,
        label: state.inner ? `${state.name} ⟳ ${state.inner.join(', ')}` : state.name,
        kind: state.type,
      })),
      edges: machine.graph.edges,
      layout: machine.layout,
      direction: 'TD',
      nodeClass: (id) => [classes.get(id) ?? '', id === machine.graph.startAt ? 'start' : ''].join(' '),
      edgeLabel: (edge) => (edge.kind === 'next' ? '' : edge.label.length > 28 ? `${edge.label.slice(0, 27)}…` : edge.label),
    });
    const visited = execution.history.map((visit) => owner(visit.state));
    for (let i = 1; i < visited.length; i += 1) {
      for (const path of svg.querySelectorAll(`path[data-from="${CSS.escape(visited[i - 1])}"][data-to="${CSS.escape(visited[i])}"]`)) {
        path.classList.add('taken');
      }
    }
    graph = svg;
  }
  return h(
    'article',
    { class: 'card execution', dataExecution: execution.name, dataStatus: execution.status },
    h(
      'header',
      {},
      h('strong', {}, execution.name),
      h('span', { class: `badge exec-${execution.status}` }, execution.status),
      h(
        'span',
        { class: 'muted' },
        `${machine?.name ?? ''} · started ${time(execution.startedAt)}${execution.stoppedAt ? ` · took ${seconds(execution.startedAt, execution.stoppedAt)}` : ''}`,
      ),
    ),
    execution.error ? h('p', { class: 'error' }, execution.error) : null,
    h(
      'div',
      { class: 'execution-body' },
      h('div', { class: 'graph-scroll' }, graph),
      h(
        'table',
        { class: 'history' },
        h('thead', {}, h('tr', {}, h('th', {}, 'state'), h('th', {}, 'status'), h('th', {}, 'entered'), h('th', {}, 'took'))),
        h(
          'tbody',
          {},
          execution.history.map((visit) =>
            h(
              'tr',
              { class: `visit-${visit.status}${owner(visit.state) === visit.state ? '' : ' inner'}`, dataState: visit.state },
              h(
                'td',
                {},
                owner(visit.state) === visit.state ? '' : '↳ ',
                visit.state,
                visit.retries ? h('span', { class: 'muted small' }, ` (${visit.retries} retries)`) : null,
              ),
              h('td', {}, visit.status, visit.error ? h('span', { class: 'error small' }, ` ${visit.error}`) : null),
              h('td', {}, time(visit.enteredAt)),
              h(
                'td',
                {},
                visit.exitedAt
                  ? seconds(visit.enteredAt, visit.exitedAt)
                  : visit.status === 'running'
                    ? `${seconds(visit.enteredAt, new Date().toISOString())}…`
                    : '',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

// ------------------------------------------------------------------ architecture

function renderArchitecture() {
  const { graph, layout } = architecture;
  if (!graph) return;
  const svg = drawGraph({
    nodes: graph.nodes,
    edges: graph.edges.filter((edge) => edge.kind !== 'substitution'),
    layout,
    direction: 'LR',
    edgeLabel: (edge) => (edge.kind === 'event' || edge.kind === 'subscription' || edge.kind === 'dead-letter' ? edge.label : ''),
  });
  $('#architecture .graph-scroll').replaceChildren(svg);
}

// ------------------------------------------------------------------ polling

const last = {};
function changed(key, value) {
  const text = JSON.stringify(value);
  if (last[key] === text) return false;
  last[key] = text;
  return true;
}

async function tick() {
  const status = $('#status');
  try {
    const response = await fetch('/local/dashboard', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const state = await response.json();
    lastShipments = state.shipments;
    if (changed('shipments', state.shipments)) showShipments(state.shipments);
    if (changed('outbox', state.outbox)) section('outbox', [...state.outbox].reverse(), renderMessage);
    if (changed('timers', state.timers ?? [])) section('timers', state.timers ?? [], renderTimer);
    if (changed('orderWindows', state.orderWindows ?? [])) section('order-windows', state.orderWindows ?? [], renderOrderWindow);
    const running = state.executions.some((execution) => execution.status === 'RUNNING');
    if (changed('executions', state.executions) || running) section('executions', [...state.executions].reverse(), renderExecution);
    status.textContent = `live · ${state.shipments.length} shipments · ${state.outbox.length} messages · ${state.executions.length} executions · ${new Date(state.at).toLocaleTimeString()}`;
    status.className = 'live';
  } catch (error) {
    status.textContent = `disconnected (${error.message}); retrying…`;
    status.className = 'down';
  }
  setTimeout(tick, POLL_MS);
}

let lastShipments = [];
async function start() {
  $('#owner-filter').addEventListener('change', () => showShipments(lastShipments));
  try {
    architecture = await (await fetch('/local/architecture')).json();
    renderArchitecture();
  } catch (error) {
    $('#architecture .graph-scroll').textContent = `Could not load the architecture: ${error.message}`;
  }
  await tick();
}

start();

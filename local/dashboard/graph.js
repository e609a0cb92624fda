// Draws a graph laid out by support/architecture-graph.ts (layer, row) as inline SVG. No library.

const SVG = 'http://www.w3.org/2000/svg';
const CHAR = 7; // average glyph width at 12px
const NODE_H = 34;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {{nodes: {id: string, label: string, kind: string}[], edges: {from: string, to: string, kind: string, label: string}[],
 *   layout: {id: string, layer: number, row: number}[], direction: 'LR' | 'TD', nodeClass?: (id: string) => string,
 *   edgeLabel?: (edge: object) => string}} graph
 */
export function drawGraph({ nodes, edges, layout, direction, nodeClass = () => '', edgeLabel = (edge) => edge.label }) {
  const place = new Map(layout.map((entry) => [entry.id, entry]));
  const layers = Math.max(0, ...layout.map((entry) => entry.layer)) + 1;
  const rowsIn = Array.from({ length: layers }, (_, layer) => layout.filter((entry) => entry.layer === layer).length);
  const maxRows = Math.max(1, ...rowsIn);
  const widthOf = (node) => Math.max(90, node.label.length * CHAR + 28);
  const boxes = new Map();

  if (direction === 'LR') {
    const gapX = 150;
    const gapY = 26;
    const columnWidth = Array.from({ length: layers }, (_, layer) =>
      Math.max(90, ...nodes.filter((node) => place.get(node.id)?.layer === layer).map(widthOf)),
    );
    const columnX = [];
    let x = 20;
    for (const width of columnWidth) {
      columnX.push(x);
      x += width + gapX;
    }
    for (const node of nodes) {
      const { layer, row } = place.get(node.id) ?? { layer: 0, row: 0 };
      const offset = (maxRows - rowsIn[layer]) / 2;
      const w = widthOf(node);
      boxes.set(node.id, {
        x: columnX[layer] + (columnWidth[layer] - w) / 2,
        y: 20 + (row + offset) * (NODE_H + gapY),
        w,
        h: NODE_H,
        layer,
      });
    }
  } else {
    const gapX = 40;
    const gapY = 56;
    const w = Math.max(...nodes.map(widthOf));
    for (const node of nodes) {
      const { layer, row } = place.get(node.id) ?? { layer: 0, row: 0 };
      const offset = (maxRows - rowsIn[layer]) / 2;
      boxes.set(node.id, { x: 20 + (row + offset) * (w + gapX), y: 20 + layer * (NODE_H + gapY), w, h: NODE_H, layer });
    }
  }

  const all = [...boxes.values()];
  const width = Math.max(...all.map((box) => box.x + box.w)) + 140;
  const height = Math.max(...all.map((box) => box.y + box.h)) + 60;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: `graph graph-${direction}`, role: 'img' });
  const defs = el('defs');
  for (const kind of [
    'event',
    'subscription',
    'policy',
    'substitution',
    'on-failure',
    'dead-letter',
    'next',
    'choice',
    'default',
    'catch',
  ]) {
    const marker = el('marker', {
      id: `arrow-${kind}`,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    });
    marker.append(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow arrow-${kind}` }));
    defs.append(marker);
  }
  svg.append(defs);

  const edgeLayer = el('g', { class: 'edges' });
  const labelLayer = el('g', { class: 'edge-labels' });
  edges.forEach((edge, index) => {
    const a = boxes.get(edge.from);
    const b = boxes.get(edge.to);
    if (!a || !b) return;
    let d;
    let mid;
    if (direction === 'LR') {
      if (b.layer > a.layer) {
        const [x1, y1, x2, y2] = [a.x + a.w, a.y + a.h / 2, b.x, b.y + b.h / 2];
        const bend = (x2 - x1) / 2;
        d = `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
        mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
      } else {
        const [x1, y1, x2, y2] = [a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y + b.h];
        const drop = Math.max(y1, y2) + 30 + (index % 4) * 8;
        d = `M ${x1} ${y1} C ${x1} ${drop}, ${x2} ${drop}, ${x2} ${y2}`;
        mid = { x: (x1 + x2) / 2, y: drop - 6 };
      }
    } else if (b.layer > a.layer) {
      const [x1, y1, x2, y2] = [a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y];
      const bend = (y2 - y1) / 2;
      d = `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`;
      mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
    } else {
      const [x1, y1, x2, y2] = [a.x + a.w, a.y + a.h / 2, b.x + b.w, b.y + b.h / 2];
      const out = Math.max(x1, x2) + 40 + (index % 4) * 10;
      d = `M ${x1} ${y1} C ${out} ${y1}, ${out} ${y2}, ${x2} ${y2}`;
      mid = { x: out - 10, y: (y1 + y2) / 2 };
    }
    const path = el('path', {
      d,
      class: `edge edge-${edge.kind}`,
      'marker-end': `url(#arrow-${edge.kind})`,
      'data-from': edge.from,
      'data-to': edge.to,
    });
    path.append(el('title', {}, `${edge.from} → ${edge.to}: ${edge.kind} ${edge.label}`));
    edgeLayer.append(path);
    const text = edgeLabel(edge);
    if (text) {
      const label = el('text', { x: mid.x, y: mid.y - 3, class: `edge-label edge-label-${edge.kind}`, 'text-anchor': 'middle' }, text);
      labelLayer.append(label);
    }
  });
  svg.append(edgeLayer);

  const nodeLayer = el('g', { class: 'nodes' });
  for (const node of nodes) {
    const box = boxes.get(node.id);
    const group = el('g', { class: `node node-${node.kind} ${nodeClass(node.id)}`.trim(), 'data-id': node.id });
    const radius = node.kind === 'api' || node.kind === 'Wait' ? NODE_H / 2 : node.kind === 'Choice' ? 14 : 6;
    group.append(el('rect', { x: box.x, y: box.y, width: box.w, height: box.h, rx: radius }));
    group.append(el('text', { x: box.x + box.w / 2, y: box.y + box.h / 2 + 4, 'text-anchor': 'middle' }, node.label));
    group.append(el('title', {}, `${node.id} (${node.kind})`));
    nodeLayer.append(group);
  }
  svg.append(nodeLayer);
  svg.append(labelLayer);
  return svg;
}

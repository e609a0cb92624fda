import type { Template } from '../emulator/template.ts';

/**
 * The system's shape as data, read from template.yaml and the ASL files instead of drawn by hand:
 * nodes are the template's resources, edges are what connects them (event sources, SNS
 * subscriptions, policies, state machine substitutions, failure destinations, dead-letter queues).
 * Pure: `npm run diagram` renders it as Mermaid, the dashboard as SVG.
 */

export type NodeKind = 'api' | 'function' | 'table' | 'topic' | 'queue' | 'state-machine';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
}

export type EdgeKind = 'event' | 'subscription' | 'policy' | 'substitution' | 'on-failure' | 'dead-letter';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const NODE_KINDS: Record<string, NodeKind> = {
  'AWS::Serverless::HttpApi': 'api',
  'AWS::Serverless::Api': 'api',
  'AWS::ApiGatewayV2::Api': 'api',
  'AWS::Serverless::Function': 'function',
  'AWS::Lambda::Function': 'function',
  'AWS::DynamoDB::Table': 'table',
  'AWS::Serverless::SimpleTable': 'table',
  'AWS::SNS::Topic': 'topic',
  'AWS::SQS::Queue': 'queue',
  'AWS::Serverless::StateMachine': 'state-machine',
  'AWS::StepFunctions::StateMachine': 'state-machine',
};

/** SAM creates this API when an HttpApi event names no ApiId. */
const IMPLICIT_HTTP_API = 'ServerlessHttpApi';
const IMPLICIT_REST_API = 'ServerlessRestApi';

/** Logical ids a value refers to: `Ref`, `Fn::GetAtt`, and `${Id}` / `${Id.Attr}` inside `Fn::Sub`. */
export function referencedIds(value: unknown, template: Template): string[] {
  const found = new Set<string>();
  const visit = (item: unknown): void => {
    if (Array.isArray(item)) {
      for (const entry of item) visit(entry);
      return;
    }
    if (typeof item !== 'object' || item === null) return;
    const object = item as Record<string, unknown>;
    if (typeof object.Ref === 'string') found.add(object.Ref);
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
    const sub = object['Fn::Sub'];
    if (sub !== undefined) {
      const [text, variables] = Array.isArray(sub) ? [String(sub[0]), sub[1]] : [String(sub), undefined];
      for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) found.add(match[1] as string);
      visit(variables);
    }
    for (const [key, nested] of Object.entries(object)) if (key !== 'Ref' && key !== 'Fn::GetAtt' && key !== 'Fn::Sub') visit(nested);
  };
  visit(value);
  return [...found].filter((id) => id in template.Resources);
}

/** Which API an HttpApi/Api event source belongs to. */
function apiOf(properties: Record<string, any>, type: string, template: Template): string {
  const reference = type === 'HttpApi' ? properties.ApiId : properties.RestApiId;
  const [id] = reference === undefined ? [] : referencedIds(reference, template);
  return id ?? (type === 'HttpApi' ? IMPLICIT_HTTP_API : IMPLICIT_REST_API);
}

function describeFilter(properties: Record<string, any>): string {
  const policy = properties.FilterPolicy;
  if (!policy || typeof policy !== 'object') return '';
  const parts = Object.entries(policy as Record<string, unknown>).map(([key, value]) => {
    const values = (Array.isArray(value) ? value : [value]).map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item)));
    return `${key}=${values.join('|')}`;
  });
  return parts.join(', ');
}

export function architectureGraph(template: Template): Graph {
  const nodes = new Map<string, GraphNode>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const kind = NODE_KINDS[resource.Type];
    if (kind) nodes.set(id, { id, kind, label: id });
  }
  const edges: GraphEdge[] = [];
  // One edge per (from, to, kind); several reasons (e.g. read and write policies) share its label.
  const byKey = new Map<string, GraphEdge>();
  const add = (from: string, to: string, kind: EdgeKind, label: string) => {
    if (from === to) return;
    const key = `${from}\u0000${to}\u0000${kind}`;
    const known = byKey.get(key);
    if (known) {
      if (!known.label.split(', ').includes(label)) known.label = `${known.label}, ${label}`;
      return;
    }
    const edge = { from, to, kind, label };
    byKey.set(key, edge);
    edges.push(edge);
  };
  const refs = (value: unknown) => referencedIds(value, template);

  for (const [id, resource] of Object.entries(template.Resources)) {
    const properties = (resource.Properties ?? {}) as Record<string, any>;
    const kind = NODE_KINDS[resource.Type];

    if (kind === 'function') {
      const events = (properties.Events ?? {}) as Record<string, { Type: string; Properties?: Record<string, any> }>;
      for (const source of Object.values(events)) {
        const sourceProperties = source.Properties ?? {};
        if (source.Type === 'HttpApi' || source.Type === 'Api') {
          const api = apiOf(sourceProperties, source.Type, template);
          if (!nodes.has(api)) nodes.set(api, { id: api, kind: 'api', label: api });
          const method = String(sourceProperties.Method ?? 'ANY').toUpperCase();
          add(api, id, 'event', sourceProperties.Path ? `${method} ${sourceProperties.Path}` : method);
        } else if (source.Type === 'DynamoDB' || source.Type === 'Kinesis') {
          for (const table of refs(sourceProperties.Stream)) add(table, id, 'event', 'stream');
        } else if (source.Type === 'SQS') {
          for (const queue of refs(sourceProperties.Queue)) add(queue, id, 'event', 'messages');
        } else if (source.Type === 'SNS') {
          const filter = describeFilter(sourceProperties);
          for (const topic of refs(sourceProperties.Topic)) add(topic, id, 'subscription', filter || 'subscription');
        }
        const onFailure = sourceProperties.DestinationConfig?.OnFailure?.Destination;
        for (const target of refs(onFailure)) add(id, target, 'on-failure', 'on failure');
      }
      const invokeDestinations = properties.EventInvokeConfig?.DestinationConfig ?? {};
      for (const [outcome, label] of [
        ['OnFailure', 'on failure'],
        ['OnSuccess', 'on success'],
      ] as const) {
        for (const target of refs(invokeDestinations[outcome]?.Destination)) add(id, target, 'on-failure', label);
      }
      for (const target of refs(properties.DeadLetterQueue?.TargetArn)) add(id, target, 'dead-letter', 'dead letters');
    }

    if (kind === 'function' || kind === 'state-machine') {
      for (const policy of Array.isArray(properties.Policies) ? properties.Policies : [properties.Policies]) {
        if (typeof policy !== 'object' || policy === null) continue;
        if ('Statement' in policy) {
          for (const target of refs(policy.Statement)) add(id, target, 'policy', 'iam');
          continue;
        }
        for (const [templateName, parameters] of Object.entries(policy as Record<string, unknown>)) {
          for (const target of refs(parameters)) add(id, target, 'policy', templateName);
        }
      }
    }

    if (kind === 'state-machine') {
      const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
      for (const [placeholder, value] of Object.entries(substitutions)) {
        for (const target of refs(value)) add(id, target, 'substitution', placeholder);
      }
      const events = (properties.Events ?? {}) as Record<string, { Type: string; Properties?: Record<string, any> }>;
      for (const source of Object.values(events)) {
        if (source.Type === 'HttpApi' || source.Type === 'Api') {
          add(apiOf(source.Properties ?? {}, source.Type, template), id, 'event', String(source.Properties?.Path ?? source.Type));
        }
      }
    }

    if (kind === 'topic') {
      for (const subscription of (properties.Subscription ?? []) as Record<string, unknown>[]) {
        for (const target of refs(subscription.Endpoint)) add(id, target, 'subscription', String(subscription.Protocol ?? 'subscription'));
      }
    }

    if (resource.Type === 'AWS::SNS::Subscription') {
      const filter = describeFilter(properties);
      for (const topic of refs(properties.TopicArn)) {
        for (const target of refs(properties.Endpoint)) add(topic, target, 'subscription', filter || String(properties.Protocol ?? ''));
      }
      for (const target of refs(properties.RedrivePolicy?.deadLetterTargetArn)) {
        for (const topic of refs(properties.TopicArn)) add(topic, target, 'dead-letter', 'undeliverable');
      }
    }

    if (kind === 'queue') {
      const redrive = properties.RedrivePolicy as Record<string, unknown> | undefined;
      for (const target of refs(redrive?.deadLetterTargetArn)) {
        add(id, target, 'dead-letter', redrive?.maxReceiveCount ? `after ${redrive.maxReceiveCount} receives` : 'dead letters');
      }
    }

    if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      for (const fn of refs(properties.FunctionName)) {
        for (const source of refs(properties.EventSourceArn)) add(source, fn, 'event', 'event source');
        for (const target of refs(properties.DestinationConfig?.OnFailure?.Destination)) add(fn, target, 'on-failure', 'on failure');
      }
    }
  }
  // Edges may name resources that are not drawn (a policy on a parameter store path, say).
  return { nodes: [...nodes.values()], edges: edges.filter((edge) => nodes.has(edge.from) && nodes.has(edge.to)) };
}

// ---------------------------------------------------------------- state machines (ASL)

export type StateType = 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

export interface StateNode {
  name: string;
  type: StateType;
  start: boolean;
  end: boolean;
  /** States inside a Map's ItemProcessor or a Parallel's branches, at any depth. */
  inner?: string[];
}

export interface StateEdge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
  label: string;
}

export interface StateMachineGraph {
  startAt: string;
  states: StateNode[];
  edges: StateEdge[];
}

interface AslState {
  Type: StateType;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Record<string, unknown>[];
  Catch?: { ErrorEquals?: string[]; Next: string }[];
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
}

function innerStates(state: AslState): string[] {
  const machines = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter((machine) => machine !== undefined);
  return machines.flatMap((machine) => Object.entries(machine.States).flatMap(([name, inner]) => [name, ...innerStates(inner)]));
}

const COMPARATORS: [RegExp, string][] = [
  [/^(String|Numeric|Timestamp)Equals(Path)?$/, '=='],
  [/^(String|Numeric|Timestamp)LessThan(Path)?$/, '<'],
  [/^(String|Numeric|Timestamp)GreaterThan(Path)?$/, '>'],
  [/^(String|Numeric|Timestamp)LessThanEquals(Path)?$/, '<='],
  [/^(String|Numeric|Timestamp)GreaterThanEquals(Path)?$/, '>='],
  [/^BooleanEquals(Path)?$/, '=='],
  [/^StringMatches$/, 'matches'],
  [/^Is(Numeric|String|Boolean|Timestamp)$/, 'is'],
];

/** A short, readable form of a Choice rule (JSONPath comparisons or a JSONata `Condition`). */
export function describeChoice(rule: Record<string, unknown>): string {
  if (typeof rule.Condition === 'string') return rule.Condition.replace(/^\{%\s*|\s*%\}$/g, '');
  if (Array.isArray(rule.And)) return (rule.And as Record<string, unknown>[]).map(describeChoice).join(' and ');
  if (Array.isArray(rule.Or)) return (rule.Or as Record<string, unknown>[]).map(describeChoice).join(' or ');
  if (rule.Not && typeof rule.Not === 'object') return `not (${describeChoice(rule.Not as Record<string, unknown>)})`;
  const variable = String(rule.Variable ?? '');
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    if (key === 'IsPresent') return `${variable} ${value ? 'is present' : 'is absent'}`;
    if (key === 'IsNull') return `${variable} ${value ? 'is null' : 'is not null'}`;
    const comparator = COMPARATORS.find(([pattern]) => pattern.test(key))?.[1] ?? key;
    return `${variable} ${comparator} ${typeof value === 'string' ? value : JSON.stringify(value)}`.trim();
  }
  return variable;
}

/** States and transitions of an ASL definition's top level: Next, Default, Choices and Catch. */
export function stateMachineGraph(definition: { StartAt: string; States: Record<string, AslState> }): StateMachineGraph {
  const states: StateNode[] = Object.entries(definition.States).map(([name, state]) => {
    const inner = innerStates(state);
    return {
      name,
      type: state.Type,
      start: name === definition.StartAt,
      end: state.End === true || state.Type === 'Succeed' || state.Type === 'Fail',
      ...(inner.length > 0 ? { inner } : {}),
    };
  });
  const edges: StateEdge[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Next) edges.push({ from: name, to: state.Next, kind: 'next', label: '' });
    for (const choice of state.Choices ?? []) {
      if (typeof choice.Next === 'string') edges.push({ from: name, to: choice.Next, kind: 'choice', label: describeChoice(choice) });
    }
    if (state.Default) edges.push({ from: name, to: state.Default, kind: 'default', label: 'otherwise' });
    for (const handler of state.Catch ?? []) {
      edges.push({ from: name, to: handler.Next, kind: 'catch', label: `catch ${(handler.ErrorEquals ?? []).join(', ')}`.trim() });
    }
  }
  return { startAt: definition.StartAt, states, edges };
}

// ---------------------------------------------------------------- layout (for the dashboard's SVG)

export interface Placed {
  id: string;
  layer: number;
  row: number;
}

/**
 * A layered layout: each node sits one layer right of its furthest predecessor, edges that
 * close a cycle (found depth-first from the roots) are ignored for layering. Deterministic,
 * so the dashboard draws the same picture every time.
 */
export function layeredLayout(ids: readonly string[], edges: readonly { from: string; to: string }[]): Placed[] {
  const outgoing = new Map<string, string[]>(ids.map((id) => [id, []]));
  const incoming = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const edge of edges) {
    if (!outgoing.has(edge.from) || !outgoing.has(edge.to)) continue;
    outgoing.get(edge.from)?.push(edge.to);
    incoming.set(edge.to, (incoming.get(edge.to) ?? 0) + 1);
  }
  // Drop back edges found by a depth-first walk from the roots (then from anything left).
  const forward = new Map<string, string[]>(ids.map((id) => [id, []]));
  const state = new Map<string, 'open' | 'done'>();
  const walk = (id: string) => {
    state.set(id, 'open');
    for (const next of outgoing.get(id) ?? []) {
      if (state.get(next) === 'open') continue;
      forward.get(id)?.push(next);
      if (!state.has(next)) walk(next);
    }
    state.set(id, 'done');
  };
  for (const id of ids) if ((incoming.get(id) ?? 0) === 0 && !state.has(id)) walk(id);
  for (const id of ids) if (!state.has(id)) walk(id);

  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  // Longest path over the acyclic forward edges (ids.length rounds is enough).
  for (let round = 0; round < ids.length; round += 1) {
    let changed = false;
    for (const [from, targets] of forward) {
      for (const to of targets) {
        const candidate = (layer.get(from) ?? 0) + 1;
        if (candidate > (layer.get(to) ?? 0)) {
          layer.set(to, candidate);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  // Within a layer, order nodes by the mean row of their predecessors: fewer crossing edges.
  const predecessors = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, targets] of forward) for (const to of targets) predecessors.get(to)?.push(from);
  const row = new Map<string, number>();
  const depth = Math.max(0, ...layer.values());
  for (let l = 0; l <= depth; l += 1) {
    const members = ids.filter((id) => layer.get(id) === l);
    const weight = (id: string) => {
      const rows = (predecessors.get(id) ?? []).map((from) => row.get(from) ?? 0);
      return rows.length === 0 ? Number.POSITIVE_INFINITY : rows.reduce((sum, value) => sum + value, 0) / rows.length;
    };
    const ordered = members
      .map((id, index) => ({ id, index, weight: weight(id) }))
      .sort((a, b) => (a.weight === b.weight ? a.index - b.index : a.weight - b.weight));
    for (const [index, entry] of ordered.entries()) row.set(entry.id, index);
  }
  return ids.map((id) => ({ id, layer: layer.get(id) ?? 0, row: row.get(id) ?? 0 }));
}

// ---------------------------------------------------------------- Mermaid

const quote = (text: string) => `"${text.replace(/"/g, '#quot;')}"`;
const mermaidId = (text: string) => text.replace(/[^A-Za-z0-9_]/g, '_');

const SHAPES: Record<NodeKind, (label: string) => string> = {
  api: (label) => `([${quote(label)}])`,
  function: (label) => `[${quote(`λ ${label}`)}]`,
  table: (label) => `[(${quote(label)})]`,
  topic: (label) => `{{${quote(label)}}}`,
  queue: (label) => `[/${quote(label)}/]`,
  'state-machine': (label) => `[[${quote(label)}]]`,
};

const ARROWS: Record<EdgeKind, string> = {
  event: '-->',
  subscription: '-->',
  policy: '-.->',
  substitution: '-.->',
  'on-failure': '-.->',
  'dead-letter': '-.->',
};

export function architectureMermaid(graph: Graph): string {
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) lines.push(`  ${mermaidId(node.id)}${SHAPES[node.kind](node.label)}`);
  for (const edge of graph.edges) {
    const label = edge.kind === 'policy' ? edge.label.replace(/Policy$/, '') : edge.label;
    lines.push(`  ${mermaidId(edge.from)} ${ARROWS[edge.kind]}|${quote(label)}| ${mermaidId(edge.to)}`);
  }
  return lines.join('\n');
}

const STATE_SHAPES: Record<StateType, (label: string) => string> = {
  Task: (label) => `[${quote(label)}]`,
  Pass: (label) => `[${quote(label)}]`,
  Choice: (label) => `{${quote(label)}}`,
  Wait: (label) => `([${quote(`⏱ ${label}`)}])`,
  Succeed: (label) => `((${quote(label)}))`,
  Fail: (label) => `((${quote(label)}))`,
  Parallel: (label) => `[[${quote(label)}]]`,
  Map: (label) => `[[${quote(label)}]]`,
};

export function stateMachineMermaid(graph: StateMachineGraph): string {
  const ids = new Map(graph.states.map((state, index) => [state.name, `s${index}`]));
  const lines = ['flowchart TD', `  start((" ")) --> ${ids.get(graph.startAt)}`];
  for (const state of graph.states) {
    const label = state.inner ? `${state.name} (${state.type}: ${state.inner.join(', ')})` : state.name;
    lines.push(`  ${ids.get(state.name)}${STATE_SHAPES[state.type](label)}`);
  }
  for (const edge of graph.edges) {
    const arrow = edge.kind === 'catch' ? '-.->' : '-->';
    const label = edge.label ? `|${quote(edge.label)}|` : '';
    lines.push(`  ${ids.get(edge.from)} ${arrow}${label} ${ids.get(edge.to) ?? mermaidId(edge.to)}`);
  }
  const ends = graph.states.filter((state) => state.end && state.type !== 'Fail');
  if (ends.length > 0) {
    lines.push('  finish((" "))');
    for (const state of ends) lines.push(`  ${ids.get(state.name)} --> finish`);
  }
  return lines.join('\n');
}

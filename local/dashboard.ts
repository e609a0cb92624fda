import { readFileSync } from 'node:fs';
import type { Template } from '../emulator/template.ts';
import { architectureGraph, layeredLayout } from '../support/architecture-graph.ts';
import { stateMachineSources } from '../support/diagrams.ts';
import type { OpenOrderWindow, ShipmentList } from './shipment-list.ts';

/**
 * The dashboard `npm start` serves at `/`: static files from local/dashboard/ (no build step)
 * and the JSON they poll. GET /local/architecture is the template's graph and each state
 * machine's graph with a layout; GET /local/dashboard is one snapshot of shipments, outbox
 * and executions, read from the other local routes, so the page makes one request a tick.
 */

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/graph.js': { file: 'graph.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** A file of the dashboard for a GET path, read on each request so edits show on reload. */
export function dashboardFile(pathname: string): { body: Buffer; type: string } | undefined {
  const entry = FILES[pathname];
  if (!entry) return undefined;
  return { body: readFileSync(new URL(`./dashboard/${entry.file}`, import.meta.url)), type: entry.type };
}

export interface OutboxMessage {
  channel: string;
  recipient: string;
  text: string;
  subject?: string;
  /** What the message is about, as far as the provider was told: an email's eventType tag. */
  about?: string;
  time: string;
  sms?: { encoding: string; segments: number; units: number };
}

/** Outbox entries as the page draws them, with how each SMS travels (GSM-7 or UCS-2, and in how many segments). */
export function outboxMessages(raw: unknown): OutboxMessage[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
    .map((entry) => {
      const message: OutboxMessage = {
        channel: String(entry.channel ?? ''),
        recipient: String(entry.recipient ?? ''),
        text: String(entry.text ?? ''),
        time: String(entry.time ?? ''),
        ...(typeof entry.subject === 'string' ? { subject: entry.subject } : {}),
      };
      const tags = entry.tags as Record<string, unknown> | undefined;
      if (typeof tags?.eventType === 'string') message.about = tags.eventType;
      const sms = entry.sms as Record<string, unknown> | undefined;
      if (message.channel === 'sms' && sms) {
        message.sms = { encoding: String(sms.encoding), segments: Number(sms.segments), units: Number(sms.units) };
      }
      return message;
    });
}

export interface ExecutionView {
  id: string;
  name: string;
  /** The ASL file's name (e.g. wallet-reconciliation) whose graph draws this execution. */
  machine?: string;
  status: string;
  startedAt: string;
  stoppedAt?: string;
  error?: string;
  input?: unknown;
  history: { state: string; type?: string; status: string; enteredAt?: string; exitedAt?: string; retries?: number; error?: string }[];
}

/** GET /local/executions as the page draws it, whatever optional fields a record lacks. */
export function executionViews(raw: unknown, machineOf: (arn: string) => string | undefined): ExecutionView[] {
  const list = Array.isArray(raw)
    ? raw
    : Array.isArray((raw as { executions?: unknown })?.executions)
      ? (raw as { executions: unknown[] }).executions
      : [];
  return list
    .filter((entry): entry is Record<string, any> => typeof entry === 'object' && entry !== null)
    .map((entry) => {
      const arn = String(entry.executionArn ?? entry.id ?? entry.name ?? '');
      const visits = (Array.isArray(entry.states) ? entry.states : Array.isArray(entry.history) ? entry.history : []) as Record<
        string,
        any
      >[];
      const machine = machineOf(String(entry.stateMachineArn ?? entry.stateMachine ?? ''));
      return {
        id: arn,
        name: String(entry.name ?? arn.slice(arn.lastIndexOf(':') + 1)),
        ...(machine ? { machine } : {}),
        status: String(entry.status ?? 'UNKNOWN'),
        startedAt: String(entry.startDate ?? entry.startedAt ?? ''),
        ...(entry.stopDate ? { stoppedAt: String(entry.stopDate) } : {}),
        ...(entry.error ? { error: [entry.error, entry.cause].filter(Boolean).join(': ') } : {}),
        input: entry.input,
        history: visits.map((visit) => ({
          state: String(visit.name ?? visit.state ?? ''),
          ...(visit.type ? { type: String(visit.type) } : {}),
          status: String(visit.status ?? 'succeeded'),
          ...(visit.enteredAt ? { enteredAt: String(visit.enteredAt) } : {}),
          ...(visit.exitedAt ? { exitedAt: String(visit.exitedAt) } : {}),
          ...(typeof visit.retries === 'number' ? { retries: visit.retries } : {}),
          ...(visit.error ? { error: String(visit.error) } : {}),
        })),
      };
    });
}

/** A pending stall timer: the shipment it watches (its schedule's target Input) and when it fires. */
export interface TimerView {
  shipmentId: string;
  fireAt: string;
  dueAt?: string;
  schedule: string;
}

/** GET /local/schedules as the page draws it: pending one-time schedules whose Input names a shipment. */
export function timerViews(raw: unknown): TimerView[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: Record<string, any>) => {
    if (typeof entry?.fireAt !== 'string') return [];
    let input: Record<string, unknown> = {};
    try {
      input = JSON.parse(String(entry.target?.Input ?? '{}'));
    } catch {
      return [];
    }
    if (typeof input.shipmentId !== 'string') return [];
    return [
      {
        shipmentId: input.shipmentId,
        fireAt: entry.fireAt,
        ...(typeof input.dueAt === 'string' ? { dueAt: input.dueAt } : {}),
        schedule: String(entry.name ?? ''),
      },
    ];
  });
}

/** An open split-order window as the page draws it: who is in it so far, and when its waiting execution closes it. */
export interface OrderWindowView extends OpenOrderWindow {
  closesAt?: string;
}

/**
 * The open windows with their closing time: the running SplitOrderWindow execution with the
 * window's (owner, order, status) as input, started `windowSeconds` before it closes. Matched by
 * input, not by name: the name is the product's to choose (functions/lib/domain/split-orders.ts).
 */
export function orderWindowViews(windows: readonly OpenOrderWindow[], executions: readonly ExecutionView[]): OrderWindowView[] {
  return windows.map((window) => {
    const waiting = executions.find((execution) => {
      if (execution.status !== 'RUNNING') return false;
      let input = execution.input as Record<string, unknown> | string | undefined;
      if (typeof input === 'string') {
        try {
          input = JSON.parse(input) as Record<string, unknown>;
        } catch {
          return false;
        }
      }
      return (
        input?.owner === window.owner &&
        input?.orderId === window.orderId &&
        input?.status === window.status &&
        Number(input?.windowSeconds) > 0
      );
    });
    const seconds = Number((waiting?.input as { windowSeconds?: unknown } | undefined)?.windowSeconds);
    const started = Date.parse(waiting?.startedAt ?? '');
    return Number.isFinite(started) && Number.isFinite(seconds)
      ? { ...window, closesAt: new Date(started + seconds * 1000).toISOString() }
      : { ...window };
  });
}

export interface DashboardSources {
  template: Template;
  /** Local names (logical id → ARN) of the stack, to tell which state machine an execution ran. */
  names: Record<string, string>;
  shipments: ShipmentList;
  /** Reads another local route (e.g. /local/outbox): its value or a promise of it; undefined when nothing serves it. */
  readLocal(path: string): unknown;
}

/** GET routes the dashboard adds to the local stack. */
export function dashboardRoutes(sources: DashboardSources): Record<string, () => Promise<unknown>> {
  const graph = architectureGraph(sources.template);
  const machines = stateMachineSources(sources.template);
  const machineByArn = new Map<string, string>();
  for (const machine of machines) {
    for (const id of machine.resources) {
      const arn = sources.names[id];
      if (arn) machineByArn.set(arn, machine.name);
    }
  }
  const machineOf = (arn: string) => machineByArn.get(arn) ?? (machines.length === 1 ? machines[0]?.name : undefined);
  const architecture = {
    graph,
    layout: layeredLayout(
      graph.nodes.map((node) => node.id),
      graph.edges.filter((edge) => edge.kind !== 'substitution'),
    ),
    stateMachines: machines.map((machine) => ({
      name: machine.name,
      file: machine.file,
      resources: machine.resources,
      graph: machine.graph,
      layout: layeredLayout(
        machine.graph.states.map((state) => state.name),
        machine.graph.edges,
      ),
    })),
  };
  return {
    '/local/shipments': () => sources.shipments.list(),
    '/local/architecture': async () => architecture,
    '/local/dashboard': async () => {
      const [shipments, outbox, rawExecutions, schedules, windows] = await Promise.all([
        sources.shipments.list(),
        sources.readLocal('/local/outbox'),
        sources.readLocal('/local/executions'),
        sources.readLocal('/local/schedules'),
        sources.shipments.openOrderWindows(),
      ]);
      const executions = executionViews(rawExecutions, machineOf);
      return {
        at: new Date().toISOString(),
        shipments,
        outbox: outboxMessages(outbox),
        executions,
        timers: timerViews(schedules),
        orderWindows: orderWindowViews(windows, executions),
        parts: { outbox: outbox !== undefined, executions: rawExecutions !== undefined },
      };
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * moto_server for the rehearsal, through rehearsal/moto_server.py (moto plus IAM on real resource
 * ARNs, its decisions and its outbox). One process on a free loopback port; it exits with the
 * rehearsal, even when the rehearsal is killed, because its stdin is the rehearsal's pipe.
 */

export const REGION = 'us-east-1';
/** moto's default account. */
export const ACCOUNT = '123456789012';

const LAUNCHER = fileURLToPath(new URL('./moto_server.py', import.meta.url));

export interface Authorization {
  /** `arn:aws:sts::…:assumed-role/<role>/<session>` or `arn:aws:iam::…:user/<name>`. */
  principal: string;
  operation: string;
  action: string;
  resource: string;
  allowed: boolean;
}

export interface Outbox {
  /** SNS's SMS, and End User Messaging's texts (those name the pool they were sent from). */
  sms: { messageId: string; phoneNumber: string; message: string; originationIdentity?: string }[];
  emails: { messageId: string; source: string; destinations: Record<string, string[]>; subject: string | null }[];
}

/** What the rehearsal's SES and End User Messaging published to their event destinations' topics. */
export interface ProviderReceipts {
  /** Sends whose receipts are still to be published. */
  pending: number;
  published: { provider: 'ses' | 'sms'; topicArn: string; event: string; message: Record<string, any> }[];
  failed: { provider: string; error: string }[];
}

export interface Moto {
  endpoint: string;
  /** IAM from here on: moto's INITIAL_NO_AUTH_ACTION_COUNT set to 0 (every request signed and authorised). */
  enforceIam(): Promise<void>;
  authorizations(): Promise<Authorization[]>;
  outbox(): Promise<Outbox>;
  /** The receipts published so far, once every send's are (or the deadline passed). */
  receipts(deadline: number): Promise<ProviderReceipts>;
  /** moto's own log (stderr), for the report when something went wrong. */
  log(): string;
  stop(): Promise<void>;
}

export async function startMoto(python = process.env.PYTHON ?? 'python3'): Promise<Moto> {
  const child: ChildProcess = spawn(python, [LAUNCHER, '--port', '0'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Until enforceIam(): moto's default, no request is checked while the stack is set up.
      INITIAL_NO_AUTH_ACTION_COUNT: 'inf',
      // AWS managed policies (AWSLambdaBasicExecutionRole, …) exist, so roles can attach them.
      MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
      // The receipts' events are built by rehearsal/receipts.ts, run with this Node.
      REHEARSAL_NODE: process.execPath,
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-200_000);
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`moto_server exited (${code}) before it listened:\n${stderr.slice(-2000)}`);
  });
  const first = once(lines, 'line').then(([line]) => JSON.parse(String(line)) as { port: number });
  const { port } = await Promise.race([first, exited]);
  exited.catch(() => undefined);
  const endpoint = `http://127.0.0.1:${port}`;

  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${endpoint}${path}`, init);
    if (!response.ok) throw new Error(`moto ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };

  return {
    endpoint,
    enforceIam: async () => {
      await json('/moto-api/reset-auth', { method: 'POST', body: '0' });
    },
    authorizations: () => json<Authorization[]>('/_rehearsal/authorizations'),
    outbox: () => json<Outbox>(`/_rehearsal/outbox?account=${ACCOUNT}&region=${REGION}`),
    receipts: async (deadline) => {
      for (;;) {
        const receipts = await json<ProviderReceipts>('/_rehearsal/receipts');
        if (receipts.pending === 0 || Date.now() > deadline) return receipts;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    log: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

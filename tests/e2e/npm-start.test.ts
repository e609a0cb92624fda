import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_SECRET } from '../../support/development-secret.ts';
import { PROJECT_ROOT } from '../../support/project.ts';
import { signedHeaders } from '../../support/signing.ts';
import { startNpmStart } from '../support/npm-start.ts';
import { dynamoJvmsBelow, isAlive } from '../support/processes.ts';

// `npm start` as a newcomer runs it: a child process on its embedded defaults (only PORT set).
let child: ChildProcess;
let url: string;
let output: () => string;
let dataDir: string;

beforeAll(async () => {
  // A newcomer's shell (tests/support/npm-start.ts), and no registry left in this checkout's
  // .local/ by `npm run warehouse`: a data folder of its own.
  dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-npm-start-'));
  ({ child, url, output } = await startNpmStart({ PARCELCAST_DATA_DIR: dataDir }, 45_000));
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints its URL, and the development warehouse with its signing secret', () => {
    expect(output()).toContain(`Parcelcast is running on ${url}`);
    expect(output()).toContain('No WAREHOUSES_FILE: one development warehouse, "local", any source, both scopes.');
    expect(output()).toContain(DEVELOPMENT_SECRET);
  });

  it('answers /health once every part is ready', async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('accepts the signed sample event and shows the shipment', async () => {
    const body = readFileSync(`${PROJECT_ROOT}/events/shipment-created.json`, 'utf8');
    const posted = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', ...signedHeaders(DEVELOPMENT_SECRET, body) },
      body,
    });
    expect(posted.status).toBe(202);
    expect(await posted.json()).toEqual({ results: [{ id: 'evt-shipment-created-0001', status: 'accepted' }] });

    const shipment = await fetch(`${url}/v1/shipments/shp-1001`);
    expect(shipment.status).toBe(200);
    expect(await shipment.json()).toMatchObject({ shipmentId: 'shp-1001', status: 'created', customer: { phone: '+34•••••••22' } });
  });

  it('keeps the terminal for the outbox and warnings: no INFO log lines, no EMF metric lines, the service named', () => {
    // The sample event was recorded above, so the ingest has logged and counted by now.
    expect(output()).not.toContain('"level":"INFO"');
    expect(output()).not.toContain('"_aws"');
    expect(output()).not.toContain('service_undefined');
  });

  it('rejects an unsigned post with 401 problem+json', async () => {
    const response = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers a correctly signed body that is not UTF-8 400 problem+json, and a wrongly signed one 401', async () => {
    // The signature covers the bytes sent; a byte 0xFF can begin no UTF-8 sequence.
    const body = Buffer.concat([Buffer.from('{"specversion":"1.0","id":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const id = 'msg_not_utf8';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(DEVELOPMENT_SECRET.slice('whsec_'.length), 'base64');
    const signature = (secretKey: Buffer) =>
      `v1,${createHmac('sha256', secretKey).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
    const post = (secretKey: Buffer) =>
      fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json',
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': signature(secretKey),
        },
        body,
      });

    const signed = await post(key);
    expect(signed.status).toBe(400);
    expect(signed.headers.get('content-type')).toBe('application/problem+json');
    expect(await signed.json()).toMatchObject({ type: 'urn:parcelcast:problem:validation', errors: [{ path: '$' }] });
    expect((await post(Buffer.from('another key'))).status).toBe(401);
  });

  it('stops DynamoDB Local with it on Ctrl-C', async () => {
    const java = dynamoJvmsBelow(child.pid as number);
    expect(java).toHaveLength(1);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(java.filter(isAlive)).toEqual([]);
  });
});

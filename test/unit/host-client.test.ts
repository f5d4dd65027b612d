import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HostCluster } from '../../src/core/host-cluster/client.js';
import { silentLogger } from '../../src/core/logger.js';

/**
 * What the pod proxy hands back, as the node serves it: plain text, YAML,
 * JSON, a 503 with a reason. A local HTTP server stands in for the API
 * server's proxy path, so the generated client's response handling (which
 * parses by content type) is what is under test.
 */
const ANSWERS: Record<string, { status: number; type: string; body: string }> = {
  'docker-ready': { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' },
  config: { status: 200, type: 'application/yaml', body: 'apiVersion: v1\nkind: Config\n' },
  status: { status: 200, type: 'application/json', body: '{"uptimeSeconds": 3}\n' },
  'kubernetes-ready': { status: 503, type: 'text/plain; charset=utf-8', body: 'coredns: 0 ready pods\n' },
};

let server: Server;
let host: HostCluster;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const m = /^\/api\/v1\/namespaces\/ci\/pods\/kind-action-x(?::|%3A)10080\/proxy\/(.+)$/.exec(
      req.url ?? '',
    );
    const answer = m?.[1] ? ANSWERS[m[1]] : undefined;
    if (!answer) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', message: 'pods "kind-action-y" not found', code: 404 }));
      return;
    }
    res.writeHead(answer.status, { 'content-type': answer.type });
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const file = join(mkdtempSync(join(tmpdir(), 'ka-hostkc-')), 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:PORT", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: c, user: u, namespace: ci}}]',
      'current-context: c',
    ]
      .join('\n')
      .replace('PORT', String(port)),
  );
  host = await HostCluster.load(file, silentLogger);
});

afterAll(() => server.close());

describe('GET through the pod proxy: every answer as its text', () => {
  test('the kubeconfig context names the namespace', () => {
    expect(host.contextNamespace).toBe('ci');
  });

  test.each(Object.entries(ANSWERS))('%s', async (path, answer) => {
    const res = await host.proxyGet('ci', 'kind-action-x', 10080, path);
    expect(res).toEqual({ status: answer.status, body: answer.body });
  });

  test('the API server’s own refusal comes back as its message', async () => {
    const res = await host.proxyGet('ci', 'kind-action-y', 10080, 'docker-ready');
    expect(res).toEqual({ status: 404, body: 'pods "kind-action-y" not found' });
    expect(seen.at(-1)).toMatch(/\/pods\/kind-action-y(?::|%3A)10080\/proxy\/docker-ready$/);
  });
});

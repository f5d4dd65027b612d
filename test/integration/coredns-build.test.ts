import { type ChildProcess, spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { exec } from '../support/exec.js';

// The CoreDNS the node image runs (image/kube/coredns/main.go, built by
// build-source.sh without the plugins that reach outside services).
const coredns = join(inject('kubeBin'), 'coredns');

let running: ChildProcess | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  running = undefined;
});

function corefile(body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ka-corefile-')), 'Corefile');
  writeFileSync(file, body);
  return file;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Start CoreDNS on `port`; resolves once it reports its servers up. */
function serve(file: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(coredns, ['-conf', file, '-dns.port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/CoreDNS-\d/.test(out)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`coredns exited with ${code}:\n${out}`)));
  });
}

describe('the node image CoreDNS build', () => {
  test('has the plugins a cluster DNS uses and none of the omitted ones', async () => {
    const r = await exec(coredns, ['-plugins']);
    expect(r.code, r.stderr).toBe(0);
    const plugins = new Set(r.stdout.split(/\s+/).map((p) => p.replace(/^dns\./, '')));
    for (const p of ['kubernetes', 'forward', 'cache', 'errors', 'health', 'ready', 'prometheus', 'loop']) {
      expect(plugins, p).toContain(p);
    }
    for (const p of [
      'reload',
      'loadbalance',
      'hosts',
      'rewrite',
      'template',
      'file',
      'log',
      'k8s_external',
    ]) {
      expect(plugins, p).toContain(p);
    }
    for (const p of ['azure', 'clouddns', 'route53', 'etcd', 'nomad', 'trace']) {
      expect(plugins, p).not.toContain(p);
    }
  });

  test('a Corefile naming an omitted plugin fails to load as an unknown directive', async () => {
    const file = corefile('.:53 {\n    route53 example.org.:Z1\n}\n');
    const r = await exec(coredns, ['-conf', file, '-dns.port', String(await freePort())]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Unknown directive 'route53'/i);
  });

  test('hosts, rewrite and template answer queries', async () => {
    const port = await freePort();
    const file = corefile(
      [
        '. {',
        '    rewrite name app.alias.test. app.example.test.',
        '    hosts {',
        '        10.1.2.3 app.example.test',
        '        fallthrough',
        '    }',
        '    template IN A gen.test {',
        '        answer "{{ .Name }} 60 IN A 10.9.8.7"',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
    await serve(file, port);
    const resolver = new Resolver({ timeout: 2000, tries: 3 });
    resolver.setServers([`127.0.0.1:${port}`]);
    expect(await resolver.resolve4('app.example.test')).toEqual(['10.1.2.3']);
    expect(await resolver.resolve4('app.alias.test')).toEqual(['10.1.2.3']);
    expect(await resolver.resolve4('x.gen.test')).toEqual(['10.9.8.7']);
  });
});

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KindActionError } from '../core/errors.js';
import type { ForwardedPorts } from '../core/host-cluster/access.js';
import type { PodRef } from '../core/host-cluster/probes.js';

/** Where this machine's forwarders keep their records and logs. */
export function forwarderDir(stateDir: string): string {
  return join(stateDir, 'forwarders');
}

const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Start `kind-action port-forward` for the pod as a detached process (its own
 * session, no terminal, its log in the state directory) and return the local
 * ports it announces on its first line of output. It lives on after `up`
 * returns, until `down` stops it or the pod is gone.
 */
export function spawnForwarder(
  stateDir: string,
  hostKubeconfig: string,
  env: NodeJS.ProcessEnv,
): (pod: PodRef) => Promise<ForwardedPorts> {
  return (pod) =>
    new Promise((resolve, reject) => {
      const dir = forwarderDir(stateDir);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const logFile = join(dir, `${pod.namespace}-${pod.name}.log`);
      const log = openSync(logFile, 'a', 0o600);
      const script = process.argv[1] ?? '';
      const cluster = pod.name.replace(/^kind-action-/, '');
      const args = ['port-forward', '--host-kubeconfig', hostKubeconfig, '--namespace', pod.namespace];
      const child = spawn(process.execPath, [script, ...args, '--name', cluster], {
        detached: true,
        stdio: ['ignore', 'pipe', log],
        env,
      });
      closeSync(log);
      let out = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n').trim();
        reject(
          new KindActionError(
            `the port-forward to ${pod.name} did not start (${why})${tail ? `:\n${tail}` : ''}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        child.kill('SIGTERM');
        fail(`no answer within ${STARTUP_TIMEOUT_MS / 1000}s`);
      }, STARTUP_TIMEOUT_MS);
      child.once('error', (err) => fail(err.message));
      child.once('exit', (code) => fail(`it exited with code ${code}`));
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n')[0];
        if (!out.includes('\n') || line === undefined) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout?.destroy();
        child.unref();
        try {
          resolve(JSON.parse(line) as ForwardedPorts);
        } catch {
          reject(new KindActionError(`the port-forward to ${pod.name} said "${line}", not its ports`));
        }
      });
    });
}

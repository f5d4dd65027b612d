/**
 * bench/on-kubernetes: seconds to Ready for the node as a pod of an existing
 * cluster (`up --host-kubeconfig`) against the node on the Docker daemon, the
 * same image, one run each, and the ratio. The host cluster is one of our own
 * nodes, with the node image loaded into its image store (so the pod's "pull"
 * is local, as the Docker node's image is). Both runs happen while the host
 * cluster runs, so each pays for the same background load. Target: ≤ 1.5×.
 *
 * `readySeconds` counts from the node's start (the container started; the
 * pod's container running) to a usable kubeconfig; `wall` is the whole `up`.
 */

import { DEFAULT_KUBERNETES, localNodeImage, resolveKubernetesVersion } from '../src/core/image/versions.js';
import { cli, isolatedEnv, parseJson } from '../test/support/cli.js';
import { execOk } from '../test/support/exec.js';
import { copyImage, nodeDocker } from '../test/support/nested-host.js';
import useTempRoot from '../test/support/temp-root.js';
import { printTable, timeIt, writeJson } from './lib/report.js';

const VERSION = resolveKubernetesVersion(process.env.BENCH_K8S ?? DEFAULT_KUBERNETES);
const NODE = process.env.BENCH_IMAGE ?? localNodeImage(VERSION);

interface Up {
  readySeconds: number;
  phases: Record<string, number>;
  dockerHost: string;
  kubeconfig: string;
}

interface Run {
  wall: number;
  readySeconds: number;
  phases: Record<string, number>;
}

async function timedUp(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  let up: Up | undefined;
  const wall = await timeIt(async () => {
    const r = await cli(['up', ...args, '--image', NODE, '--timeout', '300s', '--json'], env);
    if (r.code !== 0) throw new Error(`up ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
    up = parseJson<Up>(r);
  });
  return { wall, readySeconds: up?.readySeconds ?? 0, phases: up?.phases ?? {} };
}

async function main(): Promise<void> {
  await execOk('npm', ['run', '--silent', 'build']);
  const env = isolatedEnv();
  const hostRun = await cli(['up', '--name', 'bench-host', '--image', NODE, '--json'], env);
  if (hostRun.code !== 0) throw new Error(`the host cluster did not start:\n${hostRun.stderr.slice(-3000)}`);
  const host = parseJson<Up>(hostRun);
  const results: Record<string, Run | { error: string }> = {};
  try {
    await copyImage(nodeDocker(host.dockerHost), NODE);
    results.docker = await timedUp(['--name', 'bench-docker'], env);
    await cli(['down', '--name', 'bench-docker'], env);
    const hostArgs = ['--host-kubeconfig', host.kubeconfig];
    results.pod = await timedUp(['--name', 'bench-pod', ...hostArgs], env).catch((err: unknown) => ({
      error: err instanceof Error ? err.message : String(err),
    }));
    await cli(['down', '--name', 'bench-pod', ...hostArgs], env);
  } finally {
    await cli(['down', '--name', 'bench-docker'], env);
    await cli(['down', '--name', 'bench-host'], env);
  }
  report(results);
}

function report(results: Record<string, Run | { error: string }>): void {
  const row = (label: string, r: Run | { error: string } | undefined): string[] =>
    !r || 'error' in r
      ? [label, 'failed', 'failed', '-']
      : [
          label,
          `${r.readySeconds.toFixed(2)} s`,
          `${r.wall.toFixed(2)} s`,
          `${(r.phases['kubernetes-ready'] ?? 0).toFixed(2)} s`,
        ];
  const docker = results.docker;
  const pod = results.pod;
  const ratio =
    docker && pod && !('error' in docker) && !('error' in pod) && docker.readySeconds > 0
      ? pod.readySeconds / docker.readySeconds
      : undefined;
  printTable(
    `node image ${NODE}, one run each`,
    ['node', 'ready-seconds', 'up wall clock', 'kubernetes-ready phase'],
    [row('on the Docker daemon', docker), row('as a pod (--host-kubeconfig)', pod)],
  );
  process.stdout.write(
    ratio === undefined
      ? '\npod / docker: no ratio (a run failed)\n'
      : `\npod / docker (ready-seconds): ${ratio.toFixed(2)}× (target ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'not met'})\n`,
  );
  writeJson('on-kubernetes', {
    image: NODE,
    results,
    ratio: ratio === undefined ? null : Math.round(ratio * 100) / 100,
  });
}

process.on('exit', useTempRoot());
await main();

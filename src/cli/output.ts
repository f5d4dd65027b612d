import type { ClusterStatus } from '../core/cluster/status.js';
import type { UpResult } from '../core/cluster/up.js';
import type { WaitUrlResult } from '../core/cluster/wait-url.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printUp(
  r: UpResult,
  image: { image: string; imageSource: string },
  extra: string[] = [],
): void {
  if (r.waitedFor !== 'kubernetes') {
    process.stdout.write(
      [
        `cluster "${r.name}": ${r.waitedFor === 'docker' ? "the node's Docker is ready" : 'the node started'}; Kubernetes is still booting`,
        `  docker host  ${r.dockerHost}`,
        ...extra,
        `  then run     kind-action wait --name ${r.name}   (writes ${r.kubeconfig})`,
        '',
        `export DOCKER_HOST=${r.dockerHost}`,
        '',
      ].join('\n'),
    );
    return;
  }
  process.stdout.write(
    [
      `cluster "${r.name}" is ready (${r.readySeconds.toFixed(1)}s after the node started)`,
      `  image        ${image.image} (${image.imageSource})`,
      `  kubeconfig   ${r.kubeconfig}`,
      `  api server   ${r.apiServer}`,
      `  docker host  ${r.dockerHost}`,
      ...extra,
      '',
      `export KUBECONFIG=${r.kubeconfig} DOCKER_HOST=${r.dockerHost}`,
      '',
    ].join('\n'),
  );
}

export function printWait(r: WaitUrlResult): void {
  const where = r.kubeconfig ? `; kubeconfig: ${r.kubeconfig}` : '';
  process.stdout.write(`ready in ${r.readySeconds.toFixed(1)}s${where}\n`);
  if (r.kubernetesVersion) {
    process.stdout.write(`kubernetes ${r.kubernetesVersion}; kubectl: ${r.kubectl ?? 'unchanged'}\n`);
  }
  if (r.kubeconfig) process.stdout.write(`\nexport KUBECONFIG=${r.kubeconfig}\n`);
}

export function printStatus(list: (ClusterStatus & { namespace?: string; pod?: string })[]): void {
  if (list.length === 0) {
    process.stdout.write('no clusters\n');
    return;
  }
  const pods = list.some((s) => s.pod !== undefined);
  const rows = list.map((s) => [
    s.name,
    s.pod !== undefined ? `${s.namespace ?? ''}/${s.pod}` : s.containerId.slice(0, 12),
    s.state,
    s.ready === undefined ? '-' : s.ready ? 'ready' : `not ready: ${s.reason ?? ''}`,
    s.apiServer ?? '-',
    s.expiresAt ?? 'never',
  ]);
  const header = ['NAME', pods ? 'POD' : 'CONTAINER', 'STATE', 'READY', 'API SERVER', 'EXPIRES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[fmt(header), ...rows.map(fmt)].join('\n')}\n`);
}

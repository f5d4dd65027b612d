import type { ClusterStatus } from '../core/cluster/status.js';
import type { UpResult } from '../core/cluster/up.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printUp(r: UpResult, image: { image: string; imageSource: string }): void {
  process.stdout.write(
    [
      `cluster "${r.name}" is ready (${r.readySeconds.toFixed(1)}s after the node started)`,
      `  image        ${image.image} (${image.imageSource})`,
      `  kubeconfig   ${r.kubeconfig}`,
      `  api server   ${r.apiServer}`,
      `  docker host  ${r.dockerHost}`,
      '',
      `export KUBECONFIG=${r.kubeconfig} DOCKER_HOST=${r.dockerHost}`,
      '',
    ].join('\n'),
  );
}

export function printStatus(list: ClusterStatus[]): void {
  if (list.length === 0) {
    process.stdout.write('no clusters\n');
    return;
  }
  const rows = list.map((s) => [
    s.name,
    s.containerId.slice(0, 12),
    s.state,
    s.ready === undefined ? '-' : s.ready ? 'ready' : `not ready: ${s.reason ?? ''}`,
    s.apiServer ?? '-',
    s.expiresAt ?? 'never',
  ]);
  const header = ['NAME', 'CONTAINER', 'STATE', 'READY', 'API SERVER', 'EXPIRES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[fmt(header), ...rows.map(fmt)].join('\n')}\n`);
}

// What the guest reports after a failed case: the guest's containers and processes, and the node's
// own view (its readiness status, its processes, the tail of its log), each bounded in time.
import { exec } from '../../support/exec.js';
import { cli, type UpJson } from './cluster.js';

async function section(title: string, cmd: string, args: string[]): Promise<string> {
  const r = await exec('timeout', ['60', cmd, ...args], { stdin: 'ignore' });
  return `--- ${title} (exit ${r.code})\n${(r.stdout + r.stderr).trim().slice(-3000)}`;
}

export async function diagnose(node: UpJson | undefined): Promise<string> {
  const parts = [
    await section('docker ps -a', 'docker', ['ps', '-a']),
    await section('guest processes', 'ps', ['-eo', 'pid,etime,time,stat,args', '--sort=-time']),
  ];
  if (node) {
    const status = await cli(['status', '--name', node.name, '--json']);
    parts.push(`--- kind-action status (exit ${status.code})\n${status.stdout.slice(-3000)}`);
    parts.push(
      await section('node processes', 'docker', [
        'exec',
        node.containerId,
        'ps',
        '-eo',
        'pid,etime,time,stat,args',
      ]),
    );
    parts.push(await section('node log', 'docker', ['logs', '--tail', '60', node.containerId]));
  }
  return parts.join('\n');
}

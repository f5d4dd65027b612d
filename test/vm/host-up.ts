// The benchmark's other column: the same `up` on this host (whatever privilege mode it allows).
import { execOk } from '../support/exec.js';
import { DOCKER_LOCK } from './image.js';

export async function hostUpSeconds(image: string): Promise<number> {
  const cli = ['dist/cli/index.js'];
  const name = 'vm-lane-host';
  const lock = (args: string[]) =>
    execOk('flock', [DOCKER_LOCK, process.execPath, ...cli, ...args], { stdin: 'ignore' });
  const started = Date.now();
  try {
    await lock(['up', '--name', name, '--image', image, '--json', '--timeout', '600s']);
    return Math.round((Date.now() - started) / 100) / 10;
  } finally {
    await lock(['down', '--name', name]).catch(() => undefined);
  }
}

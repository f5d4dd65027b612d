import { join } from 'node:path';
import { type ExecResult, exec } from './exec.js';

/** Run the kubectl built with the node's binaries against a kubeconfig. */
export function kubectl(
  kubeBin: string,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<ExecResult> {
  return exec(join(kubeBin, 'kubectl'), ['--kubeconfig', kubeconfig, '--request-timeout=30s', ...args], {
    ...(input === undefined ? {} : { input }),
  });
}

export async function kubectlOk(
  kubeBin: string,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<string> {
  const r = await kubectl(kubeBin, kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

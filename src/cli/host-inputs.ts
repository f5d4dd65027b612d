import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { expandHome } from '../core/kubeconfig/path.js';
import { truncate } from '../core/names.js';

/** `--host-kubeconfig FILE [--namespace NS]`: run the node as a pod on that cluster. */
export interface HostInputs {
  /** The host cluster's kubeconfig, resolved (a leading `~` is the home directory). */
  kubeconfig: string;
  /** The namespace given; absent: the kubeconfig context's namespace, else `default`. */
  namespace: string | undefined;
}

export interface RawHost {
  hostKubeconfig?: string;
  namespace?: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The host cluster options, checked up front: undefined without
 * `--host-kubeconfig`, when `--namespace` alone is a mistake, and so are the
 * Docker-only options (`docker`: those given, by flag) with it.
 */
export function hostInputs(
  raw: RawHost,
  home: string,
  docker: Record<string, boolean> = {},
): HostInputs | undefined {
  const namespace = raw.namespace === undefined ? undefined : validateNamespace(raw.namespace);
  if (raw.hostKubeconfig === undefined) {
    if (namespace !== undefined) throw new UsageError('only with --host-kubeconfig', { field: 'namespace' });
    return undefined;
  }
  const file = raw.hostKubeconfig;
  if (file.trim() === '' || /[\r\n\0]/.test(file) || file.length > 4096) {
    throw new UsageError(`"${truncate(file)}" is not a file name`, { field: 'host-kubeconfig' });
  }
  const dockerOnly = Object.entries(docker).find(([, given]) => given)?.[0];
  if (dockerOnly) {
    throw new UsageError('a Docker option; the node runs as a pod with --host-kubeconfig', {
      field: dockerOnly,
    });
  }
  return { kubeconfig: resolve(expandHome(file, home)), namespace };
}

/** A namespace name: a DNS label of at most 63 characters. */
export function validateNamespace(value: string): string {
  if (value.length === 0 || value.length > 63 || !NAMESPACE.test(value)) {
    throw new UsageError(
      `"${truncate(value)}" is not a namespace name (a DNS label: lowercase letters, digits and '-', at most 63)`,
      { field: 'namespace' },
    );
  }
  return value;
}

/** `--host-kubeconfig` and `--namespace`, as `up`, `down`, `status`, `logs` and the forwarder take them. */
export function addHostOptions(command: Command): Command {
  return command
    .option('--host-kubeconfig <file>', 'run the node as a pod on the Kubernetes cluster of this kubeconfig')
    .option(
      '--namespace <ns>',
      "with --host-kubeconfig: the namespace (default: the context's, else default)",
    );
}

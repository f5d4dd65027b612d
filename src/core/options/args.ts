/**
 * Extra command-line arguments for the node's Kubernetes components: which
 * components take them, which forms are accepted, and how layers of them
 * merge. The node's agent applies the same merge rule to its own defaults.
 */

import { truncate } from '../names.js';

/** Each component that takes extra arguments: its option name → the node's process. */
export const COMPONENTS = {
  apiserver: 'kube-apiserver',
  'controller-manager': 'kube-controller-manager',
  scheduler: 'kube-scheduler',
  kubelet: 'kubelet',
  proxy: 'kube-proxy',
} as const;

export type Component = keyof typeof COMPONENTS;

export const COMPONENT_NAMES = Object.keys(COMPONENTS) as Component[];

/** The option (flag, Action input, config file key) that holds a component's arguments. */
export function argsField(component: Component): string {
  return `${component}-args`;
}

/** Flags that have options of their own, because they reach several components. */
const OWN_OPTION: Readonly<Record<string, string>> = {
  'feature-gates': 'feature-gates',
  'runtime-config': 'runtime-config',
};

/**
 * Flags whose value the baked cluster depends on (addresses and names stored
 * in etcd and in the components' credentials, the configuration files the
 * node renders): another value would contradict the baked data, so they are
 * refused rather than passed on.
 */
const FIXED: Readonly<Record<Component, readonly string[]>> = {
  apiserver: ['etcd-servers', 'service-cluster-ip-range', 'advertise-address', 'secure-port'],
  'controller-manager': ['kubeconfig'],
  scheduler: ['kubeconfig'],
  kubelet: ['config', 'kubeconfig', 'hostname-override', 'node-ip'],
  proxy: ['config'],
};

/**
 * kube-proxy runs from a configuration file, and then honours only its
 * logging flags (cmd/kube-proxy/app/options.go: Complete); any other flag
 * would be silently ignored, so it is refused.
 */
const PROXY_FLAG = /^(v|vmodule|logging-format|log-[a-z0-9-]+)$/;

const ARG = /^--([a-z0-9][a-z0-9-]*)(=[^\p{Cc}]*)?$/u;

/** The flag an argument sets (`--v=2` → `v`), or undefined when it is not one. */
export function flagName(arg: string): string | undefined {
  return ARG.exec(arg)?.[1];
}

/** What is wrong with one extra argument for `component`, or undefined when nothing is. */
export function argProblem(arg: string, component: Component): string | undefined {
  const name = flagName(arg);
  if (name === undefined) {
    return /^-[a-z]/.test(arg) && !arg.startsWith('--')
      ? `"${truncate(arg)}" must start with -- (e.g. --v=2)`
      : `"${truncate(arg)}" is not a flag (expected --name=value or --name, one argument each)`;
  }
  const own = OWN_OPTION[name];
  if (own) return `--${name} is given with the ${own} option, not as an argument`;
  if (FIXED[component].includes(name)) {
    return `--${name} is fixed by the node (the baked cluster depends on it)`;
  }
  if (component === 'proxy' && !PROXY_FLAG.test(name)) {
    return `--${name}: kube-proxy runs from its configuration file and then honours only logging flags (--v, --vmodule, --logging-format, --log-…)`;
  }
  return undefined;
}

/**
 * The merge rule, for the agent's defaults under the user's arguments and
 * for the config file's arguments under the flags' (or inputs'): a flag that
 * a later layer names removes every occurrence of it from the earlier ones;
 * within one layer every occurrence is kept, in order (some flags repeat).
 */
export function overrideArgs(earlier: readonly string[], later: readonly string[]): string[] {
  const named = new Set(later.map(flagName));
  return [...earlier.filter((arg) => !named.has(flagName(arg))), ...later];
}

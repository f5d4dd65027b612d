import { parse, stringify } from 'yaml';
import { KindActionError } from '../errors.js';

export interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context'?: string;
  [key: string]: unknown;
}

export class KubeconfigError extends KindActionError {}

export function parseKubeconfig(text: string, source: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeconfigError(`${source}: not valid YAML`, { cause: err });
  }
  if (doc === null || doc === undefined) return emptyKubeconfig();
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new KubeconfigError(`${source}: not a kubeconfig`);
  const cfg = doc as Partial<Kubeconfig>;
  return {
    ...cfg,
    apiVersion: cfg.apiVersion ?? 'v1',
    kind: cfg.kind ?? 'Config',
    clusters: Array.isArray(cfg.clusters) ? cfg.clusters : [],
    users: Array.isArray(cfg.users) ? cfg.users : [],
    contexts: Array.isArray(cfg.contexts) ? cfg.contexts : [],
  };
}

export function emptyKubeconfig(): Kubeconfig {
  return { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
}

/**
 * The node serves a kubeconfig for its in-container address. Point it at the
 * server the caller can reach and give cluster, user and context one name.
 */
export function rewriteKubeconfig(text: string, server: string, name: string): Kubeconfig {
  const cfg = parseKubeconfig(text, 'kubeconfig from the node');
  const cluster = cfg.clusters[0]?.cluster;
  const user = cfg.users[0]?.user;
  if (!cluster || !user) throw new KubeconfigError('kubeconfig from the node has no cluster or user');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { ...cluster, server } }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

/** Put `add`'s entries into `base`, replacing same-named ones and keeping the rest. */
export function mergeKubeconfig(base: Kubeconfig, add: Kubeconfig): Kubeconfig {
  const replace = <T extends { name: string }>(into: T[], from: T[]): T[] => {
    const names = new Set(from.map((e) => e.name));
    return [...into.filter((e) => !names.has(e.name)), ...from];
  };
  const current = add['current-context'];
  return {
    ...base,
    clusters: replace(base.clusters, add.clusters),
    users: replace(base.users, add.users),
    contexts: replace(base.contexts, add.contexts),
    ...(current ? { 'current-context': current } : {}),
  };
}

/** Drop one name's cluster, user and context (used by `down` on a merged file). */
export function removeFromKubeconfig(base: Kubeconfig, name: string): Kubeconfig {
  const keep = <T extends { name: string }>(list: T[]): T[] => list.filter((e) => e.name !== name);
  const out: Kubeconfig = {
    ...base,
    clusters: keep(base.clusters),
    users: keep(base.users),
    contexts: keep(base.contexts),
  };
  if (out['current-context'] === name) delete out['current-context'];
  return out;
}

/** Pure: no cluster, user or context, and nothing else a person put there (only empty preferences). */
export function isEmptyKubeconfig(cfg: Kubeconfig): boolean {
  const { apiVersion: _v, kind: _k, clusters, users, contexts, preferences, ...others } = cfg;
  const emptyPrefs =
    preferences === undefined ||
    preferences === null ||
    (typeof preferences === 'object' && Object.keys(preferences).length === 0);
  return (
    clusters.length === 0 &&
    users.length === 0 &&
    contexts.length === 0 &&
    emptyPrefs &&
    Object.keys(others).length === 0
  );
}

export function serializeKubeconfig(cfg: Kubeconfig): string {
  return stringify(cfg, { lineWidth: 0 });
}

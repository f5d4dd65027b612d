import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** A kubeconfig someone already has, with a context of their own, for merge tests. */
export const THEIRS = `apiVersion: v1
kind: Config
clusters:
  - name: theirs
    cluster: { server: 'https://theirs.example:6443' }
users:
  - name: theirs
    user: { token: abc }
contexts:
  - name: theirs
    context: { cluster: theirs, user: theirs }
current-context: theirs
`;

/** The context names in a kubeconfig file, in file order. */
export function contextsOf(file: string): string[] {
  return (parse(readFileSync(file, 'utf8')) as { contexts: { name: string }[] }).contexts.map((c) => c.name);
}

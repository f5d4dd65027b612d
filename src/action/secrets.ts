import { parseKubeconfig } from '../core/kubeconfig/rewrite.js';

const SECRET_FIELDS = ['client-key-data', 'token', 'password'] as const;
const PEM_ARMOR = /^-----(BEGIN|END) [A-Z ]+-----$/;

/**
 * The values in a kubeconfig that must never appear in a log: key data,
 * tokens, passwords, and the decoded private keys. A multi-line value is
 * returned line by line too, because the runner masks a log line at a time.
 */
export function kubeconfigSecrets(text: string): string[] {
  const cfg = parseKubeconfig(text, 'kubeconfig');
  const out = new Set<string>();
  for (const { user } of cfg.users) {
    for (const field of SECRET_FIELDS) {
      const value = user?.[field];
      if (typeof value !== 'string' || value === '') continue;
      for (const s of expand(value)) out.add(s);
      if (field === 'client-key-data') for (const s of expand(decodeBase64(value))) out.add(s);
    }
  }
  return [...out];
}

/** A value and, when it spans lines, each of its lines (PEM armor lines are not secret). */
export function expand(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed) return [];
  if (!/[\r\n]/.test(trimmed)) return [trimmed];
  const lines = trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 4 && !PEM_ARMOR.test(l));
  return [trimmed, ...lines];
}

function decodeBase64(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

import { UsageError } from './errors.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Room for the "kind-action-" prefix inside Docker's and DNS's limits. */
export const MAX_NAME_LENGTH = 40;

/** A cluster name must be a DNS label: it names the container and the context. */
export function validateClusterName(name: string): string {
  const field = 'name';
  if (name.length === 0) throw new UsageError('the cluster name is empty', { field });
  if (name.length > MAX_NAME_LENGTH) {
    throw new UsageError(`"${truncate(name)}" is longer than ${MAX_NAME_LENGTH} characters`, { field });
  }
  if (!DNS_LABEL.test(name)) {
    throw new UsageError(
      `"${truncate(name)}" is not a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)`,
      { field },
    );
  }
  return name;
}

export function containerName(cluster: string): string {
  return `kind-action-${cluster}`;
}

export function contextName(cluster: string): string {
  return `kind-${cluster}`;
}

/** Keep error messages readable when the input is huge or multi-line. */
export function truncate(value: string, max = 64): string {
  const oneLine = JSON.stringify(value).slice(1, -1);
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

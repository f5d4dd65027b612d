import {
  errorMessage,
  HostClusterApiError,
  HostClusterUnreachableError,
  KindActionError,
  PodSecurityError,
} from '../errors.js';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

/** The HTTP status of a failed API call, when it got that far. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isStatus(err: unknown, code: number): boolean {
  if (err instanceof KindActionError) return isStatus(err.cause, code);
  return statusOf(err) === code;
}

/** The API server's own message (a Status object's `message`), else the error's text. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  const texts = [typeof body === 'string' ? body : JSON.stringify(body ?? ''), errorMessage(err)];
  for (const text of texts) {
    const json = /\{[\s\S]*\}/.exec(text)?.[0];
    if (!json) continue;
    try {
      const status = JSON.parse(json) as { message?: unknown };
      if (typeof status.message === 'string') return status.message;
    } catch {
      /* not a Status */
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string')
    return (body as { message: string }).message;
  return errorMessage(err).split('\n')[0] ?? '';
}

/** The network error code under a failed request (node-fetch puts it on the error or its cause). */
function networkCode(err: unknown): string | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 4;
    e = e.cause as typeof e, i++
  ) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

/** Pure: the admission message of a pod the namespace's Pod Security level refuses. */
export function isPodSecurityDenial(message: string): boolean {
  return /violates PodSecurity/i.test(message);
}

/** One place that turns a failed host-cluster call into a named error. */
export function apiError(what: string, err: unknown, server: string): KindActionError {
  if (err instanceof KindActionError) return err;
  const code = networkCode(err);
  if (code && UNREACHABLE.has(code)) {
    return new HostClusterUnreachableError(
      `cannot reach the host cluster's API server at ${server} (${code})`,
      {
        field: 'host-kubeconfig',
        cause: err,
      },
    );
  }
  const status = statusOf(err);
  const message = apiMessage(err);
  if (status === 401) {
    return new HostClusterUnreachableError(
      `the host cluster at ${server} refused the credentials (${message})`,
      {
        field: 'host-kubeconfig',
        cause: err,
      },
    );
  }
  if (status === 403 && isPodSecurityDenial(message)) {
    return new PodSecurityError(podSecurityAdvice(message), { field: 'namespace', cause: err });
  }
  if (status === undefined && !/HTTP-Code/.test(errorMessage(err))) {
    return new HostClusterUnreachableError(
      `cannot reach the host cluster's API server at ${server}: ${message}`,
      {
        field: 'host-kubeconfig',
        cause: err,
      },
    );
  }
  return new HostClusterApiError(`${what}: ${status ?? ''} ${message}`.replace(/ {2}/g, ' '), { cause: err });
}

/** What a refused pod needs, said the same way wherever the refusal is found. */
export function podSecurityAdvice(found: string, namespace?: string): string {
  const ns = namespace ?? 'NAMESPACE';
  return (
    `${found}; the node runs as a privileged pod and needs the Pod Security level "privileged": ` +
    `kubectl label --overwrite namespace ${ns} pod-security.kubernetes.io/enforce=privileged ` +
    '(or use a namespace that allows privileged pods)'
  );
}

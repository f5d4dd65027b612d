import {
  DockerApiError,
  DockerUnavailableError,
  ImageNotFoundError,
  KindActionError,
  NameTakenError,
  PortInUseError,
  UsageError,
} from '../errors.js';

interface DockerishError {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const IMAGE_MISSING =
  /no such image|pull access denied|manifest unknown|not found: manifest|repository does not exist|reference does not exist|invalid reference format|manifest for .* not found/i;
const PORT_TAKEN = /port is already allocated|address already in use/i;

/** The daemon's own words, without dockerode's "(HTTP code 500) server error -" prefix. */
export function dockerMessage(err: unknown): string {
  const e = (err ?? {}) as DockerishError;
  const fromJson = e.json?.message;
  if (typeof fromJson === 'string' && fromJson) return fromJson.trim();
  const text = e.message || e.code || String(err);
  return text.replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, '').trim();
}

/** One place that turns a failed Docker call into a named error. */
export function mapDockerError(what: string, err: unknown, where: string): KindActionError {
  if (err instanceof KindActionError) return err;
  const e = (err ?? {}) as DockerishError;
  const message = dockerMessage(err);
  if (e.code && UNREACHABLE.has(e.code)) {
    return new DockerUnavailableError(
      `cannot reach a Docker daemon at ${where}: ${e.code}. Start Docker, or point DOCKER_HOST at a running daemon.`,
      { cause: err },
    );
  }
  if (PORT_TAKEN.test(message)) {
    return new PortInUseError(`${what}: a requested host port is already in use (${message})`, {
      cause: err,
    });
  }
  if (e.statusCode === 409 && /already in use by container|Conflict/i.test(message)) {
    return new NameTakenError(`${what}: ${message}`, { cause: err });
  }
  if (/network .* not found/i.test(message)) {
    return new UsageError(`${what}: ${message} (create the network first, or leave it out)`, {
      cause: err,
      field: 'network',
    });
  }
  if (IMAGE_MISSING.test(message) || (e.statusCode === 404 && /image/i.test(what))) {
    return new ImageNotFoundError(`${what}: ${message}`, { cause: err });
  }
  return new DockerApiError(`${what}: ${message}`, { cause: err });
}

export function isNotFound(err: unknown): boolean {
  return (err as DockerishError | undefined)?.statusCode === 404;
}

export function isCapsFailure(err: unknown): boolean {
  return /unable to apply caps|operation not permitted.*caps|apply caps/i.test(dockerMessage(err));
}

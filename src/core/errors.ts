/**
 * Named errors. Every error the core raises on purpose is a KindActionError;
 * `exitCode` tells an adapter how to end (2 = the user's input was wrong).
 */
export class KindActionError extends Error {
  readonly exitCode: number = 1;
  /**
   * The option the error is about, in neutral terms (`timeout`, `k8s-version`,
   * `name`…), when there is one. The message then leaves it out, and each
   * adapter names it in its own words (see describeError).
   */
  readonly field: string | undefined;
  /** The message without the field. */
  readonly detail: string;
  constructor(message: string, options?: ErrorOptions) {
    super(options?.field === undefined ? message : `${options.field}: ${message}`, options);
    this.name = new.target.name;
    this.field = options?.field;
    this.detail = message;
  }
}

export interface ErrorOptions {
  cause?: unknown;
  field?: string;
}

/**
 * An error's message as an adapter shows it: the field, when the error has
 * one, named by `word` (the CLI's `--timeout`, the Action's `wait` input).
 */
export function describeError(err: unknown, word: (field: string) => string): string {
  if (err instanceof KindActionError && err.field !== undefined) return `${word(err.field)}: ${err.detail}`;
  return errorMessage(err);
}

/**
 * What the user can fix (the input, the daemon they point at, a name or a
 * port they chose) rather than a fault of the tool: exit code 2.
 */
export class UserFixableError extends KindActionError {
  override readonly exitCode = 2;
}

/** The caller asked for something invalid: a flag, a name, a duration. */
export class UsageError extends UserFixableError {}
export class DockerUnavailableError extends UserFixableError {}
export class ImageNotFoundError extends UserFixableError {}
export class PortInUseError extends UserFixableError {}
export class NameTakenError extends UserFixableError {}
/** A host name the user gave (a node's URL) does not exist in DNS. */
export class UnknownHostError extends UserFixableError {}

/**
 * The cluster options file (`config`) has a key or value it cannot take;
 * `key` is the path of the first one (`feature-gates.Foo`, `apiserver-args[1]`).
 */
export class ConfigFileError extends UserFixableError {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message, { field: 'config' });
  }
}

export class ClusterNotFoundError extends KindActionError {}
export class DockerApiError extends KindActionError {}

export class ReadinessTimeoutError extends KindActionError {}

/** The node container stopped or vanished while we waited for it. */
export class ContainerExitedError extends KindActionError {
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(logTail ? `${message}\n--- last log lines ---\n${logTail}` : message);
  }
}

export class BakeError extends KindActionError {}

/** A `before-cluster` or `after-cluster` hook failed; `field` names it, `output` is its last lines. */
export class HookFailedError extends BakeError {
  constructor(
    hook: string,
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\n--- last lines ---\n${output}` : message, { field: hook });
  }
}

/** The published image's agent has no `customize` mode (an older image): bake from scratch instead. */
export class AgentModeMissingError extends BakeError {}

/** `docker login` inside the node refused the registry credentials. */
export class RegistryLoginError extends KindActionError {}

export class IntegrityError extends KindActionError {}

/** The registry's tag names another digest than the version table pins: refused, never pulled. */
export class DigestMismatchError extends KindActionError {}
/** The published image (or every manifest of its index) is for another architecture: refused. */
export class PlatformMismatchError extends KindActionError {}
/** A registry could not serve a published image (down, 5xx, no such tag, no credentials). */
export class PullFailedError extends KindActionError {}
/** `publish` was asked for a baked image that is not on the daemon. */
export class LocalImageMissingError extends UserFixableError {}

/**
 * The host cluster (`--host-kubeconfig`) cannot be used: the file is missing
 * or invalid, or its API server does not answer.
 */
export class HostClusterUnreachableError extends UserFixableError {}
/** The namespace to run the node in does not exist on the host cluster. */
export class NamespaceNotFoundError extends UserFixableError {}
/**
 * The namespace's Pod Security admission (or another admission policy) refuses
 * the node's pod; `level` is what the node needs (`privileged`).
 */
export class PodSecurityError extends UserFixableError {
  readonly level = 'privileged';
}
/** The host cluster's API refused or failed a call for another reason. */
export class HostClusterApiError extends KindActionError {}
/**
 * The node's pod cannot start or stopped (its image cannot be pulled, its
 * container cannot be created, it exited); `reason` is the kubelet's word for
 * it (`ImagePullBackOff`, `CreateContainerError`…), `detail` what it said.
 */
export class PodStartError extends KindActionError {
  constructor(
    message: string,
    readonly reason: string,
    readonly logTail = '',
  ) {
    super(logTail ? `${message}\n--- last log lines ---\n${logTail}` : message);
  }
}

/** The host cluster cannot pull the node image (`ErrImagePull`, `ImagePullBackOff`): the event is quoted. */
export class PodImageError extends UserFixableError {}

/** Raised when SIGINT/SIGTERM aborted the operation; exit 130 or 143. */
export class InterruptedError extends KindActionError {
  override readonly exitCode: number;
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Turn an AbortSignal's reason into the error we throw. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new InterruptedError('SIGINT');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

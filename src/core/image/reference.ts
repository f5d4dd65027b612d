import { UsageError } from '../errors.js';
import { truncate } from '../names.js';

// name components, optional registry host[:port], optional :tag and @digest.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
// A first component is a registry host only with a dot, a port, or "localhost" (as in Docker).
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const HOST = `(?:(?:${LABEL}(?:\\.${LABEL})+(?::\\d+)?|${LABEL}:\\d+|localhost)/)?`;
const REFERENCE = new RegExp(
  `^${HOST}${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

const REPOSITORY = new RegExp(`^${HOST}${COMPONENT}(?:/${COMPONENT})*$`);

/** A repository without tag or digest (registry.example.com/ci/kind-action-node). */
export function validateRepository(value: string, field = 'repository'): string {
  if (value.length > 255 || !REPOSITORY.test(value)) {
    throw new UsageError(
      `"${truncate(value)}" is not a repository (REGISTRY/NAME without a tag, e.g. registry.example.com/ci/kind-action-node)`,
      { field },
    );
  }
  return value;
}

/** Check an image reference's form before anything asks Docker about it. */
export function validateImageRef(ref: string, field = 'image'): string {
  if (ref.length > 255 || !REFERENCE.test(ref)) {
    throw new UsageError(`"${truncate(ref)}" is not an image reference (e.g. registry/name:tag)`, { field });
  }
  return ref;
}

/** A registry host[:port] as `docker login` takes it (ghcr.io, host:5000). */
export function isRegistryHost(value: string): boolean {
  return value.length <= 261 && /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$/.test(value);
}

/** A reference's repository and tag (`latest` when it names none), as `docker commit` takes them. */
export function splitTag(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  const slash = ref.lastIndexOf('/');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}

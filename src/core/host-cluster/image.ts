import { ImageNotFoundError } from '../errors.js';
import { publishedRef, publishedSource, pullSkipReason } from '../image/published.js';

/**
 * The node image a host cluster runs: the kubelet there pulls it, so it must
 * be a reference that cluster can pull. The image policy's published source
 * (the version table's repository pinned by digest, or a mirror by tag) or
 * the given `--image`; never a local bake, which no other machine can see.
 */
export function podImage(
  given: string | undefined,
  k8sVersion: string,
  repository: string | undefined,
): { ref: string; source: 'given' | 'pull' } {
  if (given) return { ref: given, source: 'given' };
  const source = publishedSource(k8sVersion, repository, undefined);
  const skip = pullSkipReason(source, k8sVersion);
  if (skip) {
    throw new ImageNotFoundError(
      `the host cluster pulls the node image itself, and ${skip}: give --image a reference it can pull, ` +
        'or --repository a mirror that holds it',
      { field: 'image' },
    );
  }
  const tagged = publishedRef(source, k8sVersion);
  return { ref: source.digest ? `${tagged}@${source.digest}` : tagged, source: 'pull' };
}

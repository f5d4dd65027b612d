/**
 * Where baked node images are kept between runs. An entry is one directory
 * of files (the image's filesystem as a compressed `docker export` archive,
 * named for its codec, the image's configuration in `image.json`, and a
 * checksum beside each). The CLI and self-hosted runners use a local directory; the
 * Action supplies a store backed by the GitHub Actions cache.
 */
export interface CacheStore {
  /** Named in log lines, e.g. "GitHub Actions cache". */
  readonly description: string;
  /**
   * Put the files of the entry `key` (else of the newest entry whose key
   * starts with one of `prefixes`) into `dir`. Returns the key restored, or
   * undefined on a miss.
   */
  restore(dir: string, key: string, prefixes: readonly string[]): Promise<string | undefined>;
  /** Store the files in `dir` under `key`. */
  save(dir: string, key: string): Promise<void>;
  /**
   * Drop an entry found corrupt. Returns false when the store cannot delete
   * (then a newer save under the same prefix shadows the bad entry).
   */
  remove(key: string): Promise<boolean>;
}

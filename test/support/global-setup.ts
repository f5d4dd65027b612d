import { execOk } from './exec.js';
import { buildFakeNodeImages } from './fake-node.js';
import { buildRegistryImage } from './registry.js';

/**
 * Integration tests need the real engine and the built CLI. A missing daemon
 * is a failure here, never a silent skip.
 */
export default async function setup(): Promise<void> {
  await execOk('docker', ['info', '--format', '{{.ServerVersion}}']);
  await execOk('npm', ['run', '--silent', 'build']);
  await buildFakeNodeImages();
  await buildRegistryImage();
}

import type { CreateOptions, HostConfig } from '../docker/client.js';
import { LABEL, resourceLabels } from '../labels.js';
import { containerName } from '../names.js';
import { type PortMapping, portBindings } from './ports.js';

export type PrivilegeMode = 'privileged' | 'fallback';

export interface NodeSpec {
  cluster: string;
  session: string;
  image: string;
  privilege: PrivilegeMode;
  ports: PortMapping[];
  env: Record<string, string>;
  cgroupVersion: '1' | '2';
  /** Unix seconds after which a later `up` removes this node; none: never. */
  expiresAt?: number | undefined;
  /** The kubeconfig file `up` will write, recorded on the node for `down`. */
  kubeconfig?: string;
  network?: string;
  /** Overrides the image's command (the bake runs `bootstrap`). */
  cmd?: string[];
  /** Extra read-only bind mounts, host path → container path (bake-time secrets). */
  mounts?: Record<string, string>;
  /** A host directory whose contents are copied into the container at `into` before it starts. */
  copyIn?: { dir: string; into: string };
}

/**
 * Capabilities the fallback asks for when `--privileged` cannot be granted:
 * everything but CAP_SYS_RESOURCE, the one missing from microVM runners.
 */
export const FALLBACK_CAP_DROP = ['SYS_RESOURCE'];

/** Pure: the create options for a node container. */
export function nodeCreateOptions(spec: NodeSpec): CreateOptions {
  const labels = resourceLabels(spec.cluster, spec.session, spec.expiresAt);
  const exposed: Record<string, object> = {};
  for (const p of spec.ports) exposed[`${p.nodePort}/tcp`] = {};
  const hostConfig: HostConfig = {
    PortBindings: portBindings(spec.ports),
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    Mounts: [
      // dockerd inside cannot put overlay2 on the container's overlay rootfs.
      {
        Type: 'volume',
        Source: '',
        Target: '/var/lib/docker',
        VolumeOptions: { NoCopy: false, Labels: labels, DriverConfig: { Name: 'local', Options: {} } },
      },
    ],
    Tmpfs: { '/run': 'rw,exec' },
    RestartPolicy: { Name: 'no' },
    Init: false,
    ...(spec.network ? { NetworkMode: spec.network } : {}),
    ...privilegeConfig(spec.privilege, spec.cgroupVersion),
  };
  const binds = Object.entries(spec.mounts ?? {}).map(([host, inside]) => `${host}:${inside}:ro`);
  if (binds.length) hostConfig.Binds = [...(hostConfig.Binds ?? []), ...binds];
  return {
    name: containerName(spec.cluster),
    Image: spec.image,
    Hostname: `${spec.cluster}-control-plane`,
    Labels: spec.kubeconfig ? { ...labels, [LABEL.kubeconfig]: spec.kubeconfig } : labels,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ExposedPorts: exposed,
    StopSignal: 'SIGTERM',
    StopTimeout: 10,
    HostConfig: hostConfig,
  };
}

function privilegeConfig(mode: PrivilegeMode, cgroupVersion: '1' | '2'): HostConfig {
  if (mode === 'privileged')
    return { Privileged: true, ...(cgroupVersion === '2' ? { CgroupnsMode: 'private' } : {}) };
  // Without --privileged the cgroup filesystem is mounted read-only; bind the
  // host's read-write instead (on cgroup v2 the node must then share the host's
  // cgroup namespace, or its paths would not match what it sees mounted).
  return {
    Privileged: false,
    CapAdd: ['ALL'],
    CapDrop: FALLBACK_CAP_DROP,
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    // The API form of `--security-opt systempaths=unconfined`: nothing masked or read-only in /proc and /sys.
    MaskedPaths: [],
    ReadonlyPaths: [],
    DeviceCgroupRules: ['a *:* rwm'],
    Binds: ['/dev/kmsg:/dev/kmsg', '/sys/fs/cgroup:/sys/fs/cgroup:rw'],
    ...(cgroupVersion === '2' ? { CgroupnsMode: 'host' } : {}),
  };
}

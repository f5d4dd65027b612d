import Docker from 'dockerode';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export interface Leftovers {
  containers: string[];
  volumes: string[];
  networks: string[];
}

/** Everything carrying our labels (optionally for one cluster) on the daemon. */
export async function leftovers(cluster?: string): Promise<Leftovers> {
  const label = ['io.kind-action.managed=true'];
  if (cluster) label.push(`io.kind-action.cluster=${cluster}`);
  const filters = { label };
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
    docker.listNetworks({ filters }),
  ]);
  return {
    containers: containers.map((c) => c.Names[0] ?? c.Id),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
    networks: networks.map((n) => n.Name),
  };
}

export const NOTHING: Leftovers = { containers: [], volumes: [], networks: [] };

/** The daemon's whole state, to compare before and after a run. */
export async function snapshot(): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({ all: true }),
    docker.listVolumes(),
    docker.listNetworks(),
  ]);
  return {
    containers: containers.map((c) => c.Id).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    networks: networks.map((n) => n.Id).sort(),
  };
}

/** Containers the image cache's save creates to export from (it must remove them). */
export async function exportContainers(): Promise<string[]> {
  const found = await docker.listContainers({ all: true, filters: { name: ['kind-action-export-'] } });
  return found.map((c) => c.Names[0] ?? c.Id);
}

export async function hostPort(containerId: string, nodePort: number): Promise<number> {
  const info = await docker.getContainer(containerId).inspect();
  const binding = info.NetworkSettings.Ports[`${nodePort}/tcp`]?.[0];
  if (!binding) throw new Error(`port ${nodePort} not published`);
  return Number(binding.HostPort);
}

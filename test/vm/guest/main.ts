// The VM lane's guest program: what only a cgroup v2 host with real --privileged can prove.
// Runs inside the VM (node, from the 9p share at /lane); writes /lane/out/results.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCommandFile, runMain, runnerJob, runPost } from '../../support/action.js';
import { exec, execOk } from '../../support/exec.js';
import { kubectlOk, nodesReady, runPodToCompletion } from '../../support/kubectl.js';
import { cli, docker, hostPort, inspect, kubeBinFrom, resources, SHARE, type UpJson, up } from './cluster.js';
import { diagnose } from './diagnose.js';
import { runPod } from './pods.js';
import { type Case, log, type Report, runCases, writeReport } from './runner.js';

/** `image` is null for a smoke run: only the host case, with no node image loaded. */
const { image, core } = JSON.parse(readFileSync(join(SHARE, 'lane.json'), 'utf8')) as {
  image: string | null;
  core: boolean;
};
const HELLO = join(SHARE, 'hello-app');
const APP = 'hello-app:e2e';
const LIMITS = { memory: '64Mi', cpu: '250m' };
const metrics: Report['metrics'] = { image: image ?? 'none (smoke run)' };

let node: UpJson | undefined;
let kubeBin = '';
let before: string[] = [];
const current = (): UpJson => {
  assert.ok(node, 'no node');
  return node;
};

/** Build the workload image with the node's own Docker daemon (the kubelet's image store). */
async function buildApp(dockerHost: string): Promise<void> {
  await docker(['build', '-q', '-t', APP, HELLO], {
    ...process.env,
    DOCKER_HOST: dockerHost,
    DOCKER_BUILDKIT: '0',
  });
}

/** The stopped node as `docker inspect` has it, once the daemon's view has caught up (≤ 30 s). */
async function stoppedState(id: string): Promise<Awaited<ReturnType<typeof inspect>>> {
  for (let i = 0; ; i++) {
    const state = await inspect(id);
    if (!state.State.Running || i === 60) return state;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function assertNothingLeft(cluster: string): Promise<void> {
  assert.deepEqual(await resources(`io.kind-action.cluster=${cluster}`), []);
  assert.deepEqual(await resources(), before);
}

/** A pod under LIMITS that allocates `mib` MiB. */
function allocIn(kubeconfig: string, name: string, mib: number) {
  return runPod(kubeBin, kubeconfig, {
    name,
    image: APP,
    command: ['/hello-app', 'alloc', String(mib)],
    limits: LIMITS,
  });
}

async function cgroupLimits(kubeconfig: string, pod: string): Promise<void> {
  const r = await runPod(kubeBin, kubeconfig, {
    name: pod,
    image: APP,
    command: ['/hello-app', 'cat', '/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/memory.max'],
    limits: LIMITS,
  });
  assert.equal(r.phase, 'Succeeded', r.log);
  // 250m of a 100 ms period; 64 MiB.
  assert.match(r.log, /^\/sys\/fs\/cgroup\/cpu\.max: 25000 100000$/m);
  assert.match(r.log, /^\/sys\/fs\/cgroup\/memory\.max: 67108864$/m);
}

const hostCase: Case = {
  name: 'the guest is a cgroup v2 host where docker run --privileged works',
  core: true,
  run: async () => {
    assert.equal((await execOk('stat', ['-fc', '%T', '/sys/fs/cgroup'])).trim(), 'cgroup2fs');
    assert.equal((await docker(['info', '--format', '{{.CgroupVersion}}'])).trim(), '2');
    // The workload image, built in the guest's own Docker (FROM scratch: nothing to pull).
    await buildApp('unix:///var/run/docker.sock');
    const status = await docker(['run', '--rm', '--privileged', APP, 'cat', '/proc/self/status']);
    assert.match(status, /^CapEff:\s+000001ffffffffff$/m, 'every capability of kernel 6.12');
    metrics.docker = (await docker(['version', '--format', '{{.Server.Version}}'])).trim();
    metrics.kernel = (await execOk('uname', ['-r'])).trim();
    before = await resources();
  },
};

const clusterCases = (image: string): Case[] => [
  {
    name: 'up in auto mode picks real --privileged (private cgroup namespace) and says so',
    core: true,
    needs: ['the guest is a cgroup v2 host where docker run --privileged works'],
    run: async () => {
      const r = await up('vm', image);
      node = r;
      metrics.upSeconds = Math.round(r.seconds * 10) / 10;
      metrics.readySeconds = r.readySeconds;
      assert.equal(r.privilege, 'privileged');
      assert.match(r.stderr, /node started in privileged mode/);
      const hc = (await inspect(r.containerId)).HostConfig;
      assert.equal(hc.Privileged, true);
      assert.equal(hc.CgroupnsMode, 'private');
    },
  },
  {
    name: 'the cluster is Ready',
    core: true,
    needs: ['up in auto mode picks real --privileged (private cgroup namespace) and says so'],
    run: async () => {
      kubeBin = await kubeBinFrom(current().containerId);
      assert.equal(await nodesReady(kubeBin, current().kubeconfig), 'True');
    },
  },
  {
    name: 'an image built against the node runs with imagePullPolicy Never and its Service is reached by DNS',
    core: true,
    needs: ['the cluster is Ready'],
    run: async () => {
      const { dockerHost, kubeconfig } = current();
      await buildApp(dockerHost);
      log(`  built ${APP} with the node's Docker`);
      await kubectlOk(kubeBin, kubeconfig, ['apply', '-f', join(HELLO, 'k8s.yaml')]);
      await kubectlOk(kubeBin, kubeconfig, ['rollout', 'status', 'deployment/hello', '--timeout=300s']);
      log('  deployment rolled out');
      const logs = await runPodToCompletion(kubeBin, kubeconfig, {
        name: 'client',
        image: APP,
        command: ['/hello-app', 'fetch', 'http://hello.default.svc.cluster.local:8080/'],
      });
      assert.match(logs, /hello\.default\.svc\.cluster\.local:8080\/ -> \d+ bytes: hello from hello-/);
    },
  },
  {
    name: "a pod's CPU and memory limits are written to its cgroup (cpu.max, memory.max)",
    needs: [
      'an image built against the node runs with imagePullPolicy Never and its Service is reached by DNS',
    ],
    run: () => cgroupLimits(current().kubeconfig, 'limits'),
  },
  {
    name: 'a pod that allocates beyond its memory limit is OOMKilled; one within it succeeds',
    needs: [
      'an image built against the node runs with imagePullPolicy Never and its Service is reached by DNS',
    ],
    run: async () => {
      const { kubeconfig } = current();
      const within = await allocIn(kubeconfig, 'mem-ok', 16);
      assert.equal(within.phase, 'Succeeded', within.log);
      assert.match(within.log, /allocated 16 MiB/);
      const beyond = await allocIn(kubeconfig, 'mem-hog', 256);
      assert.equal(beyond.phase, 'Failed', beyond.log);
      assert.equal(beyond.reason, 'OOMKilled');
      assert.doesNotMatch(beyond.log, /allocated/);
    },
  },
  {
    name: 'docker stop ends the node by itself within 10 s',
    needs: ['the cluster is Ready'],
    run: async () => {
      const id = current().containerId;
      const started = Date.now();
      // docker stop sends SIGTERM and returns once the node has exited, killing it at the 10 s
      // mark if it has not: then its exit code is 137, not 0.
      await docker(['stop', '-t', '10', id]);
      metrics.stopSeconds = Math.round((Date.now() - started) / 100) / 10;
      // The exit code from the daemon's live state: `docker inspect` right after a stop can still
      // say "running" for a moment (the stop does not commit the state it waited for; moby#50133),
      // which under emulation lasts seconds.
      assert.equal((await docker(['wait', id])).trim(), '0');
      const { State } = await stoppedState(id);
      assert.equal(State.Running, false);
      // Not State.OOMKilled: on cgroup v2 Docker sets it for any out-of-memory kill below the
      // node's cgroup, and the case before this one has a pod killed so on purpose.
      assert.equal(State.ExitCode, 0);
      metrics.stoppedNodeOOMKilledFlag = String(State.OOMKilled);
      const logs = await exec('docker', ['logs', '--tail', '40', id], { stdin: 'ignore' });
      const agent = /^(?:\[agent\] )?stopped in ([\d.]+)(ms|s)$/m.exec(logs.stdout + logs.stderr);
      assert.ok(agent, "the node's log does not say that its agent stopped");
      metrics.agentStopSeconds = Number(agent[1]) / (agent[2] === 'ms' ? 1000 : 1);
    },
  },
  {
    name: 'docker restart brings the same node back Ready',
    needs: ['docker stop ends the node by itself within 10 s'],
    run: async () => {
      const { containerId } = current();
      await docker(['restart', '-t', '10', containerId]);
      // Published host ports may change on restart: read them again.
      const kubeconfig = '/tmp/vm-lane/restarted.kubeconfig';
      const r = await cli([
        'wait',
        '--url',
        `http://127.0.0.1:${await hostPort(containerId, 10080)}`,
        '--api-server',
        `https://127.0.0.1:${await hostPort(containerId, 8443)}`,
        '--kubeconfig',
        kubeconfig,
        '--timeout',
        '900s',
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr.slice(-4000));
      metrics.restartReadySeconds = Math.round(r.seconds * 10) / 10;
      assert.equal(await nodesReady(kubeBin, kubeconfig), 'True');
    },
  },
  {
    name: 'down leaves no container, volume or network',
    core: true,
    // Runs whenever up created a node, even if a check on it failed: later cases need the room.
    run: async () => {
      current();
      const r = await cli(['down', '--name', 'vm']);
      assert.equal(r.code, 0, r.stderr);
      await assertNothingLeft('vm');
    },
  },
  {
    name: 'up --privileged-mode fallback works on cgroup v2 too: Ready, pod limits applied, down clean',
    needs: ['the guest is a cgroup v2 host where docker run --privileged works'],
    run: async () => {
      const r = await up('vmfb', image, ['--privileged-mode', 'fallback']);
      metrics.fallbackUpSeconds = Math.round(r.seconds * 10) / 10;
      try {
        assert.equal(r.privilege, 'fallback');
        const hc = (await inspect(r.containerId)).HostConfig;
        assert.equal(hc.Privileged, false);
        kubeBin ||= await kubeBinFrom(r.containerId);
        assert.equal(await nodesReady(kubeBin, r.kubeconfig), 'True');
        await buildApp(r.dockerHost);
        await cgroupLimits(r.kubeconfig, 'limits-fallback');
      } finally {
        const d = await cli(['down', '--name', 'vmfb']);
        assert.equal(d.code, 0, d.stderr);
      }
      await assertNothingLeft('vmfb');
    },
  },
  {
    name: "the Action's main starts a privileged node that becomes Ready; its post leaves nothing",
    needs: ['the guest is a cgroup v2 host where docker run --privileged works'],
    run: async () => {
      // The bundles are at /lane/dist/action, as in a checkout of the Action.
      const job = runnerJob({}, SHARE);
      const m = await runMain(job, { name: 'vmact', image, wait: '900s' });
      try {
        assert.equal(m.code, 0, `${m.stdout.slice(-3000)}${m.stderr.slice(-3000)}`);
        const out = readCommandFile(job.files.output);
        assert.equal(out['cluster-name'], 'vmact');
        const [id] = (await docker(['ps', '-q', '--filter', 'label=io.kind-action.cluster=vmact'])).split(
          '\n',
        );
        assert.equal((await inspect(id ?? '')).HostConfig.Privileged, true);
        kubeBin ||= await kubeBinFrom(id ?? '');
        assert.equal(await nodesReady(kubeBin, out.kubeconfig ?? ''), 'True');
      } finally {
        const p = await runPost(job, { name: 'vmact' }, 'success');
        assert.equal(p.code, 0, p.stdout.slice(-3000));
        assert.doesNotMatch(p.stdout, /::warning::/);
      }
      await assertNothingLeft('vmact');
    },
  },
  {
    name: 'circleci/kind.sh run (plain docker run) starts a privileged node, runs a command against it, leaves nothing',
    needs: ['the cluster is Ready'],
    run: async () => {
      const r = await exec(
        'bash',
        [
          join(SHARE, 'circleci', 'kind.sh'),
          'run',
          '--',
          join(kubeBin, 'kubectl'),
          'get',
          'nodes',
          '--no-headers',
        ],
        {
          stdin: 'ignore',
          env: {
            ...process.env,
            KIND_ACTION_MODE: 'docker',
            KIND_IMAGE: image,
            KIND_NAME: 'vmcci',
            KIND_TIMEOUT: '900s',
            BASH_ENV: '',
          },
        },
      );
      assert.equal(r.code, 0, `${r.stdout}${r.stderr.slice(-3000)}`);
      assert.match(r.stderr, /node started \(privileged\)/);
      assert.match(r.stdout, /\sReady\s/);
      await assertNothingLeft('vmcci');
    },
  },
];

const all = image ? [hostCase, ...clusterCases(image)] : [hostCase];
const report = await runCases(core ? all.filter((c) => c.core) : all, metrics, () => diagnose(node));
// Whatever a failed case left running goes, so the guest powers off promptly.
if (image) await cli(['down', '--all']);
log(`metrics ${JSON.stringify(metrics)}`);
writeReport(join(SHARE, 'out', 'results.json'), report);
process.exitCode = report.failed > 0 ? 1 : 0;

import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_TTL } from '../core/duration.js';
import { describeError, errorMessage, KindActionError } from '../core/errors.js';
import { NODE_ARCHITECTURES } from '../core/image/versions.js';
import { nodeArch } from '../core/package.js';
import { WAIT_TARGETS } from '../core/ready/node-phases.js';
import { readRunEnv } from '../core/run-env.js';
import { trapSignals } from '../core/signals.js';
import { VERSION } from '../core/version.js';
import { addClusterOptions } from './cluster-flags.js';
import {
  buildCommand,
  downCommand,
  kubeconfigCommand,
  kubectlPathCommand,
  logsCommand,
  portForwardCommand,
  statusCommand,
  upCommand,
  waitCommand,
} from './commands.js';
import { addHostOptions } from './host-inputs.js';
import { addPublishCommand } from './publish.js';
import { createSession, type Session } from './session.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--name`, which every command takes, with its meaning there and its default. */
function nameOption(text: string, fallback?: string): Option {
  const option = new Option('--name <name>', text);
  return fallback === undefined ? option : option.default(fallback);
}

function jsonOption(text = 'print the result as one JSON object'): Option {
  return new Option('--json', text);
}

/** The commander program; each command's action gets its session from `session`. */
export function buildProgram(session: () => Session): Command {
  const program = new Command('kind-action')
    .description('A throwaway single-node Kubernetes cluster for CI, ready in seconds.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run kind-action --help for usage)');

  const up = program
    .command('up')
    .description('start a cluster and wait until it is ready')
    .addOption(nameOption('cluster name (a DNS label)', 'kind'))
    .option('--image <ref>', 'node image to run (default: the baked image for --k8s-version)')
    .option('--k8s-version <x.y>', 'Kubernetes version of the node image')
    .option('--timeout <duration>', 'how long to wait for readiness', '180s')
    .option(
      '--ttl <duration>',
      'after this, any later up on the same daemon removes the cluster (0: never)',
      DEFAULT_TTL,
    )
    .option('--kubeconfig <path>', 'where to write the kubeconfig (merged if the file exists)')
    .option('--publish <[ip:]hostport:nodeport>', 'publish a node port on the host (repeatable)', collect, [])
    .option('--listen-address <ip>', 'host address the node ports bind to', '127.0.0.1')
    .option('--network <name>', 'attach the node to this Docker network (its MTU then applies to pods)')
    .addOption(
      new Option('--privileged-mode <mode>', 'how to grant privileges')
        .choices(['auto', 'privileged', 'fallback'])
        .default('auto'),
    )
    .option(
      '--kube-source <source>',
      'where the binaries come from if the image must be baked: release or source',
      'release',
    )
    .option('--retain', 'keep the node container if it fails to become ready')
    .addOption(
      new Option('--wait-for <what>', "how far to wait: kubernetes, docker (the node's Docker only) or none")
        .choices([...WAIT_TARGETS])
        .default('kubernetes'),
    )
    .option(
      '--repository <registry/name>',
      'pull the node image (tag v<version>) from this mirror (env KIND_ACTION_REPOSITORY)',
    )
    .addOption(jsonOption());
  addClusterOptions(addHostOptions(up)).action((opts) => upCommand(session(), opts));

  program
    .command('build')
    .description('bake the node image: bootstrap a cluster once and commit it (--job: build the job image)')
    .option(
      '--job',
      'build the job image instead: the CLI and a kubectl of every supported version (default tag kind-action/job:v<CLI version>)',
    )
    .option('--k8s-version <x.y>', 'Kubernetes version')
    .option('--preload <image>', 'pull this image into the node at bake time (repeatable)', collect, [])
    .option('--before-cluster <file>', 'script run in the node before the cluster is bootstrapped')
    .option('--after-cluster <file>', 'script run in the node once the cluster is up')
    .option(
      '--kube-source <source>',
      'release (verified downloads) or source (built from Go modules)',
      'release',
    )
    .addOption(
      new Option('--arch <arch>', "the node's CPU architecture (binaries are cross-built for it)")
        .choices([...NODE_ARCHITECTURES])
        .default(nodeArch()),
    )
    .option(
      '--tag <ref>',
      'tag for the baked image (default: kind-action/node:v<version>, -<arch> for another architecture)',
    )
    .option(
      '--registry-secret <file>',
      'KEY=VALUE file with REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD, used only while baking',
    )
    .option('--force', 'bake again even if the tag already holds a bake of the same inputs')
    .addOption(jsonOption('print the result as JSON'))
    .action((opts) => buildCommand(session(), opts));

  program
    .command('wait')
    .description('wait until a cluster is ready: one `up --wait-for docker|none` started, or a node at --url')
    .option(
      '--url <url>',
      'readiness base URL of a node started elsewhere (a CI service), e.g. http://kind:10080',
    )
    .option(
      '--api-server <url>',
      'with --url: API server URL for the kubeconfig (default: https://<url host>:8443)',
    )
    .addOption(nameOption('the cluster (with --url: the context name suffix)', 'kind'))
    .option('--timeout <duration>', 'how long to wait', '180s')
    .option('--kubeconfig <path>', 'write (merge) the kubeconfig here (default: where up meant to)')
    .addOption(jsonOption())
    .action((opts) => waitCommand(session(), opts));

  program
    .command('kubeconfig')
    .description("write a running cluster's kubeconfig and print its path")
    .addOption(nameOption('cluster name', 'kind'))
    .option('--kubeconfig <path>', 'where to write it')
    .action((opts) => kubeconfigCommand(session(), opts));

  program
    .command('kubectl-path')
    .description("print the path of a kubectl of the cluster's version, taken out of its node once")
    .addOption(nameOption('cluster name', 'kind'))
    .action((opts) => kubectlPathCommand(session(), opts));

  addHostOptions(
    program
      .command('down')
      .description('delete a cluster (or all) and everything labelled for it')
      .addOption(nameOption('cluster name (default: kind)'))
      .option('--all', 'delete every kind-action cluster on this daemon')
      .option(
        '--kubeconfig <path>',
        "also remove the cluster's entries from this kubeconfig (default: ~/.kube/kind-action-<name>.yaml)",
      )
      .addOption(jsonOption('print what was removed as JSON')),
  ).action((opts) => downCommand(session(), opts));

  addHostOptions(
    program
      .command('status')
      .description('list clusters and their readiness')
      .addOption(nameOption('only this cluster'))
      .addOption(jsonOption('print JSON')),
  ).action((opts) => statusCommand(session(), opts));

  addHostOptions(
    program
      .command('logs')
      .description("print the node container's logs")
      .addOption(nameOption('cluster name', 'kind'))
      .option('--tail <n>', 'number of lines from the end, or "all"', 'all'),
  ).action((opts) => logsCommand(session(), opts));

  // Started detached by `up --host-kubeconfig` off the host cluster; not for people.
  addHostOptions(
    program
      .command('port-forward', { hidden: true })
      .description("keep a port-forward to a host cluster's node pod until the pod is gone")
      .addOption(nameOption('cluster name', 'kind')),
  ).action((opts) => portForwardCommand(session(), opts));

  addPublishCommand(program, session);
  return program;
}

/** Run the CLI; resolves to the process exit code. Never calls process.exit. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const cliEnv = readRunEnv(env);
  const traps = trapSignals(createSession(cliEnv, env, new AbortController().signal).log);
  let current: Session | undefined;
  const program = buildProgram(() => {
    current ??= createSession(cliEnv, env, traps.signal);
    return current;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return exitCodeFor(err, current ?? createSession(cliEnv, env, traps.signal));
  } finally {
    traps.dispose();
  }
}

function exitCodeFor(err: unknown, s: Session): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
      ? 0
      : 2;
  }
  if (err instanceof KindActionError) {
    s.log.error(describeError(err, optionName));
    return err.exitCode;
  }
  s.log.error(errorMessage(err));
  if (err instanceof Error && err.stack) s.log.debug(err.stack);
  return 1;
}

/** How the CLI words an error's field: its long option. */
export function optionName(field: string): string {
  // An environment variable (KIND_ACTION_REPOSITORY) is named as it is.
  return /^[A-Z][A-Z_]*$/.test(field) ? field : `--${field}`;
}

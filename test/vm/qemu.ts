// Boots the lane's VM with QEMU: argument building (pure), accelerator choice, and a boot with a
// hard deadline that always leaves no QEMU process behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';

export type Accel = 'kvm' | 'tcg';

export interface VmSpec {
  accel: Accel;
  kernel: string;
  initrd: string;
  /** qcow2 overlay on the cached raw disk: the cached disk is never written. */
  disk: string;
  /** Folder shared with the guest over 9p, mounted there as /lane. */
  share: string;
  console: string;
  memoryMiB: number;
  cpus: number;
}

/** Kernel command line: cgroup v2 only (as on GitHub's and GitLab's hosted runners). */
export const KERNEL_ARGS =
  'root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 net.ifnames=0 panic=-1';

export function qemuArgs(vm: VmSpec): string[] {
  const accel =
    vm.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max'];
  return [
    ...accel,
    ...['-smp', String(vm.cpus), '-m', `${vm.memoryMiB}M`],
    ...['-kernel', vm.kernel, '-initrd', vm.initrd, '-append', KERNEL_ARGS],
    ...['-drive', `file=${vm.disk},format=qcow2,if=virtio,cache=unsafe,discard=unmap`],
    ...['-virtfs', `local,path=${vm.share},mount_tag=lane,security_model=none,id=lane`],
    ...['-nic', 'user,model=virtio-net-pci'],
    ...[
      '-display',
      'none',
      '-vga',
      'none',
      '-monitor',
      'none',
      '-serial',
      `file:${vm.console}`,
      '-no-reboot',
    ],
  ];
}

/**
 * KVM only when /dev/kvm is usable by a stock kernel. A host whose KVM is the PVM flavour
 * (kvm_pvm loaded, no kvm_intel/kvm_amd) accepts the device but hangs a stock Debian kernel at
 * boot, so it gets TCG. KIND_ACTION_VM_ACCEL=kvm|tcg overrides the choice.
 */
export function chooseAccel(
  env: NodeJS.ProcessEnv = process.env,
  sys = '/sys/module',
  device = '/dev/kvm',
): Accel {
  const forced = env.KIND_ACTION_VM_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  if (forced) throw new Error(`KIND_ACTION_VM_ACCEL must be kvm or tcg, not "${forced}"`);
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    return 'tcg';
  }
  if (existsSync(`${sys}/kvm_pvm`)) return 'tcg';
  return existsSync(`${sys}/kvm_intel`) || existsSync(`${sys}/kvm_amd`) ? 'kvm' : 'tcg';
}

export interface BootResult {
  /** QEMU's exit code, or undefined when the deadline killed it. */
  code: number | null;
  timedOut: boolean;
  seconds: number;
}

/**
 * Run QEMU until the guest powers off or the deadline passes (then SIGTERM, and SIGKILL 10 s
 * later). Console lines starting with "vm-lane:" are echoed as progress. An abort signal (the
 * host being interrupted) stops QEMU the same way.
 */
export function boot(
  vm: VmSpec,
  deadlineMs: number,
  signal: AbortSignal,
  progress: (line: string) => void,
): Promise<BootResult> {
  const started = Date.now();
  const child = spawn('qemu-system-x86_64', qemuArgs(vm), { stdio: ['ignore', 'inherit', 'inherit'] });
  const follower = followConsole(vm.console, progress);
  let timedOut = false;
  const stop = (): void => terminate(child);
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, deadlineMs);
  signal.addEventListener('abort', stop, { once: true });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      clearInterval(follower);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(follower);
      signal.removeEventListener('abort', stop);
      resolve({ code: timedOut ? null : code, timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function terminate(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  child.once('exit', () => clearTimeout(kill));
}

/** Poll the console file and pass on each new "vm-lane:" line. */
function followConsole(file: string, progress: (line: string) => void): NodeJS.Timeout {
  let offset = 0;
  let partial = '';
  return setInterval(() => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    const lines = (partial + buf.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf('vm-lane:');
      if (at >= 0) progress(line.slice(at).trimEnd());
    }
  }, 2000);
}

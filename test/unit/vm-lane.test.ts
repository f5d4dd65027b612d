import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cacheRoot, recipeHash } from '../vm/disk.js';
import { podManifest } from '../vm/guest/pods.js';
import { chooseAccel, KERNEL_ARGS, qemuArgs, type VmSpec } from '../vm/qemu.js';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'ka-vm-unit-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const vm: VmSpec = {
  accel: 'tcg',
  kernel: '/d/vmlinuz',
  initrd: '/d/initrd.img',
  disk: '/r/disk.qcow2',
  share: '/r/share',
  console: '/r/console.log',
  memoryMiB: 6144,
  cpus: 2,
};

/** The value that follows a flag, for every occurrence of the flag. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('qemuArgs', () => {
  test.each([
    ['tcg', 'tcg,thread=multi', 'max'],
    ['kvm', 'kvm', 'host'],
  ] as const)('%s → -accel %s -cpu %s', (accel, flag, cpu) => {
    const args = qemuArgs({ ...vm, accel });
    expect(values(args, '-accel')).toEqual([flag]);
    expect(values(args, '-cpu')).toEqual([cpu]);
  });

  test('boots the given kernel on a cgroup v2 only command line, with the share and the console file', () => {
    const args = qemuArgs(vm);
    expect(values(args, '-kernel')).toEqual([vm.kernel]);
    expect(values(args, '-initrd')).toEqual([vm.initrd]);
    expect(values(args, '-append')).toEqual([KERNEL_ARGS]);
    expect(KERNEL_ARGS).toContain('systemd.unified_cgroup_hierarchy=1');
    expect(values(args, '-m')).toEqual(['6144M']);
    expect(values(args, '-smp')).toEqual(['2']);
    expect(values(args, '-drive')[0]).toMatch(/^file=\/r\/disk\.qcow2,format=qcow2,/);
    expect(values(args, '-virtfs')[0]).toMatch(/^local,path=\/r\/share,mount_tag=lane,/);
    expect(values(args, '-serial')).toEqual(['file:/r/console.log']);
    // A guest reboot (or panic) ends QEMU instead of booting again.
    expect(args).toContain('-no-reboot');
  });
});

describe('chooseAccel', () => {
  function host(modules: string[], device: boolean): { sys: string; dev: string } {
    const root = scratch();
    for (const m of modules) mkdirSync(join(root, 'sys', m), { recursive: true });
    const dev = join(root, 'kvm');
    if (device) writeFileSync(dev, '');
    return { sys: join(root, 'sys'), dev };
  }

  test.each([
    [['kvm', 'kvm_intel'], true, 'kvm'],
    [['kvm', 'kvm_amd'], true, 'kvm'],
    // PVM takes only PVM-aware guests: a stock kernel hangs under it.
    [['kvm', 'kvm_pvm'], true, 'tcg'],
    [['kvm', 'kvm_intel', 'kvm_pvm'], true, 'tcg'],
    [['kvm', 'kvm_intel'], false, 'tcg'],
    [[], true, 'tcg'],
  ] as const)('modules %j, device present %s → %s', (modules, device, want) => {
    const h = host([...modules], device);
    expect(chooseAccel({}, h.sys, h.dev)).toBe(want);
  });

  test('KIND_ACTION_VM_ACCEL overrides, and anything else is refused by name', () => {
    const h = host(['kvm_pvm'], true);
    expect(chooseAccel({ KIND_ACTION_VM_ACCEL: 'kvm' }, h.sys, h.dev)).toBe('kvm');
    expect(chooseAccel({ KIND_ACTION_VM_ACCEL: 'tcg' }, h.sys, h.dev)).toBe('tcg');
    expect(() => chooseAccel({ KIND_ACTION_VM_ACCEL: 'hvf' }, h.sys, h.dev)).toThrow(/KIND_ACTION_VM_ACCEL/);
  });
});

describe('the disk cache', () => {
  test('lives under KIND_ACTION_CACHE (default /var/cache/kind-action), outside the repository', () => {
    expect(cacheRoot({})).toBe('/var/cache/kind-action/vm');
    expect(cacheRoot({ KIND_ACTION_CACHE: '/c' })).toBe('/c/vm');
  });

  test('its key changes with any recipe file, its name or a new file, and only then', () => {
    const base = scratch();
    mkdirSync(join(base, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(base, 'build.sh'), 'debootstrap trixie\n');
    writeFileSync(join(base, 'rootfs', 'etc', 'a'), 'a\n');
    const recipe = [join(base, 'build.sh'), join(base, 'rootfs')];
    const first = recipeHash(recipe, base);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(recipeHash(recipe, base)).toBe(first);
    writeFileSync(join(base, 'rootfs', 'etc', 'a'), 'b\n');
    const edited = recipeHash(recipe, base);
    expect(edited).not.toBe(first);
    writeFileSync(join(base, 'rootfs', 'etc', 'b'), '');
    const added = recipeHash(recipe, base);
    expect(added).not.toBe(edited);
    rmSync(join(base, 'rootfs', 'etc', 'b'));
    expect(recipeHash(recipe, base)).toBe(edited);
  });
});

test('a limited pod asks for what it is limited to, from the local store only', () => {
  const pod = JSON.parse(
    podManifest({ name: 'p', image: 'app:1', command: ['/app'], limits: { memory: '64Mi', cpu: '250m' } }),
  );
  const [c] = pod.spec.containers;
  expect(c.imagePullPolicy).toBe('Never');
  expect(c.resources).toEqual({
    limits: { memory: '64Mi', cpu: '250m' },
    requests: { memory: '64Mi', cpu: '250m' },
  });
  expect(pod.spec.restartPolicy).toBe('Never');
});

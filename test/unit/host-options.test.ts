import { afterEach, describe, expect, test, vi } from 'vitest';
import { hostInputs, validateNamespace } from '../../src/cli/host-inputs.js';
import { buildProgram, run } from '../../src/cli/program.js';
import { UsageError } from '../../src/core/errors.js';

/** The commands that take `--host-kubeconfig`, read from the commander program itself. */
function hostCommands(): { name: string; hidden: boolean; flags: string[] }[] {
  const program = buildProgram(() => {
    throw new Error('the program is only read here, never run');
  });
  return program.commands
    .map((c) => ({
      name: c.name(),
      hidden: (c as unknown as { _hidden?: boolean })._hidden === true,
      flags: c.options.map((o) => o.long ?? ''),
    }))
    .filter((c) => c.flags.includes('--host-kubeconfig'));
}

/** Run the CLI in this process; its exit code and what it wrote to stderr. */
async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    // No daemon can be reached: an input that slipped through would fail otherwise.
    const code = await run(['node', 'kind-action', ...args], {
      HOME: '/nonexistent-home',
      DOCKER_HOST: 'unix:///tmp/ka-no-such.sock',
    });
    return { code, stderr };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('--host-kubeconfig and --namespace on every command that runs or finds a node', () => {
  const commands = hostCommands();

  test('the walk reads the program: up, down, status and logs take them, each with --namespace', () => {
    expect(commands.filter((c) => !c.hidden).map((c) => c.name)).toEqual(['up', 'down', 'status', 'logs']);
    for (const c of commands) expect(c.flags).toContain('--namespace');
  });

  /** Arguments each command needs besides the options under test (up: an image the host would pull). */
  const base = (name: string): string[] => (name === 'up' ? ['up', '--image', 'node:v1'] : [name]);

  test.each(commands.map((c) => [c.name]))(
    '%s --namespace without --host-kubeconfig → exit 2',
    async (name) => {
      const r = await runCli([...base(name), '--namespace', 'ci']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: --namespace: only with --host-kubeconfig/);
    },
  );

  test.each(commands.map((c) => [c.name]))(
    '%s --host-kubeconfig FILE that does not exist → exit 2',
    async (name) => {
      const r = await runCli([...base(name), '--host-kubeconfig', '/nonexistent/host.yaml']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: --host-kubeconfig: \/nonexistent\/host\.yaml: no such file/);
      expect(r.stderr).not.toContain('Docker daemon');
    },
  );

  test.each(commands.map((c) => [c.name]))('%s --namespace Bad_NS → exit 2 naming it', async (name) => {
    const r = await runCli([...base(name), '--host-kubeconfig', '/x', '--namespace', 'Bad_NS']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --namespace: "Bad_NS" is not a namespace name/);
  });

  test.each([
    ['--publish', '127.0.0.1:8080:30080'],
    ['--network', 'ci'],
    ['--listen-address', '0.0.0.0'],
  ])('up %s (a Docker option) with --host-kubeconfig → exit 2', async (flag, value) => {
    const r = await runCli(['up', '--image', 'node:v1', '--host-kubeconfig', '/x', flag, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${flag}: a Docker option`));
  });
});

describe('hostInputs (pure)', () => {
  test.each([
    ['neither', {}, undefined],
    ['a file', { hostKubeconfig: '/k.yaml' }, { kubeconfig: '/k.yaml', namespace: undefined }],
    [
      '~ is the home directory',
      { hostKubeconfig: '~/k.yaml', namespace: 'ci' },
      { kubeconfig: '/home/u/k.yaml', namespace: 'ci' },
    ],
  ])('%s', (_, raw, expected) => {
    expect(hostInputs(raw, '/home/u')).toEqual(expected);
  });

  test.each([
    ['empty file name', { hostKubeconfig: '' }, 'host-kubeconfig'],
    ['a newline', { hostKubeconfig: 'a\nb' }, 'host-kubeconfig'],
    ['namespace alone', { namespace: 'ci' }, 'namespace'],
    ['namespace too long', { hostKubeconfig: '/k', namespace: 'a'.repeat(64) }, 'namespace'],
  ])('%s → UsageError on %s', (_, raw, field) => {
    expect(() => hostInputs(raw, '/home/u')).toThrow(UsageError);
    try {
      hostInputs(raw, '/home/u');
    } catch (err) {
      expect((err as UsageError).field).toBe(field);
    }
  });

  test.each(['default', 'ci-jobs', 'a'.repeat(63)])('namespace %s is valid', (ns) => {
    expect(validateNamespace(ns)).toBe(ns);
  });
});

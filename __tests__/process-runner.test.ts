/**
 * The one process runner (bdda/support/process.ts), with real short child processes: output and
 * exit status come back, an abort kills the child's whole process group, a missing or
 * non-executable binary is a BddaError naming it and its variable, and nothing starts after an
 * interrupt.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BddaError } from '../config/errors';
import { installInterruptHandlers } from '../bdda/support/interrupt';
import { type Program, runProcess, runProcessSync } from '../bdda/support/process';

const SH: Program = { binary: '/bin/sh', install: 'a POSIX shell' };

/** Whether a process is still running (a zombie waiting for its parent to reap it is not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('runProcess', () => {
  test('captures stdout and stderr, reports the exit code, and hands each stdout line to the sink', async () => {
    const lines: string[] = [];
    const result = await runProcess(SH, ['-c', "printf 'one\\ntwo\\nthree'; echo oops >&2; exit 3"], { onLine: (l) => lines.push(l) });
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(result.stdout).toBe('one\ntwo\nthree');
    expect(result.stderr).toBe('oops\n');
    expect(result.code).toBe(3);
    expect(result.signal).toBeUndefined();
    expect(result.seconds).toBeGreaterThanOrEqual(0);
  });

  test('a child ended by a signal reports the signal', async () => {
    const result = await runProcess(SH, ['-c', 'kill -TERM $$']);
    expect(result.signal).toBe('SIGTERM');
    expect(result.code).not.toBe(0);
  });

  test('runs in the given folder with the given environment', async () => {
    const dir = fs.realpathSync(os.tmpdir());
    const result = await runProcess(SH, ['-c', 'pwd; echo "$BDDA_PROBE"'], { cwd: dir, env: { ...process.env, BDDA_PROBE: 'probe' } });
    expect(result.stdout).toBe(`${dir}\nprobe\n`);
  });

  test('an abort kills the whole process group, what the child started included', async () => {
    const controller = new AbortController();
    let grandchild = 0;
    const run = runProcess(SH, ['-c', 'sleep 60 & echo $!; wait'], {
      signal: controller.signal,
      onLine: (line) => (grandchild = Number(line)),
    });
    await waitFor(() => grandchild > 0);
    expect(running(grandchild)).toBe(true);
    controller.abort(new Error('the test stops it'));
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BddaError);
    expect((err as Error).cause).toEqual(new Error('the test stops it'));
    await waitFor(() => !running(grandchild));
    expect(running(grandchild)).toBe(false);
  });

  test('a missing binary is a BddaError naming it, what to install and the variable that chooses it', async () => {
    const program: Program = { binary: 'bdda-no-such-tool', install: 'the no-such tool 1.0', variable: 'NO_SUCH_BINARY' };
    const err = await runProcess(program, ['--version']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BddaError);
    expect((err as Error).message).toContain('The bdda-no-such-tool binary "bdda-no-such-tool" was not found on the PATH');
    expect((err as Error).message).toContain('Install the no-such tool 1.0');
    expect((err as Error).message).toContain('NO_SUCH_BINARY');
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  test('a binary that is not executable is a BddaError naming it and its variable', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-runner-')), 'tool');
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    const err = await runProcess({ binary: file, install: 'the tool', variable: 'TOOL_BINARY' }, []).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BddaError);
    expect((err as Error).message).toContain(`The tool binary "${file}" cannot be run (not executable)`);
    expect((err as Error).message).toContain('TOOL_BINARY');
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  test('after an interrupt nothing new starts, except what is asked to finish', async () => {
    const uninstall = installInterruptHandlers();
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      process.emit('SIGINT');
      const err = await runProcess(SH, ['-c', 'true']).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BddaError);
      expect((err as BddaError).exitCode).toBe(130);
      expect((await runProcess(SH, ['-c', 'echo done'], { onInterrupt: 'finish' })).stdout).toBe('done\n');
    } finally {
      error.mockRestore();
      uninstall();
      installInterruptHandlers()();
    }
  });
});

describe('runProcessSync', () => {
  test('returns the output and exit code', () => {
    const result = runProcessSync(SH, ['-c', 'echo out; echo err >&2; exit 4']);
    expect(result).toMatchObject({ code: 4, stdout: 'out\n', stderr: 'err\n' });
  });

  test('a missing binary is the same BddaError', () => {
    expect(() => runProcessSync({ binary: 'bdda-no-such-tool', install: 'it', variable: 'NO_SUCH_BINARY' }, [])).toThrow(/NO_SUCH_BINARY/);
  });
});

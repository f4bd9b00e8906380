/**
 * One AWS provider process shared by the terraform commands of one layer's plan (`plan`, then
 * `show -json`). Each terraform command otherwise starts the provider afresh, and a start of the
 * AWS provider is a second or more of CPU; started once in its debug mode, the provider serves
 * both commands, which reach it through `TF_REATTACH_PROVIDERS`.
 *
 * The provider runs under a small shell that stops it (SIGINT, so it removes its socket) when the
 * provider's owner, this process, is gone, even if it was killed outright. Where no provider can be
 * shared (not initialized, another provider beside the AWS one, `BDDA_SHARED_PROVIDER=off`, or one
 * that does not start in time), the commands start their own, as terraform does by default.
 *
 * A provider process is configured once per terraform command that uses it: a command that
 * configures it twice (a destroy plan: a refresh, then the plan) must not share one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { runProcess } from '../support/process';

/** The provider's address in `TF_REATTACH_PROVIDERS`, and its folder under `.terraform/providers/`. */
const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';

/** How long the provider has to say where it listens. */
const START_TIMEOUT_MS = 60_000;

/** How long the provider has to exit after SIGINT before its shell is stopped outright. */
const STOP_TIMEOUT_MS = 5_000;

// Starts the provider in debug mode and waits while both it and this shell's parent live; the
// parent's death (this process killed) or the shell's SIGTERM stops the provider with SIGINT.
const SUPERVISOR = [
  'owner=$PPID',
  '"$0" -debug & provider=$!',
  "trap 'kill -INT $provider 2>/dev/null; exit 0' TERM",
  'while kill -0 "$owner" 2>/dev/null && kill -0 "$provider" 2>/dev/null; do sleep 0.2; done',
  'kill -INT "$provider" 2>/dev/null',
  'wait "$provider"',
].join('\n');

/** The line the provider prints once it listens, e.g. `TF_REATTACH_PROVIDERS='{...}'`. */
const REATTACH_LINE = /TF_REATTACH_PROVIDERS='(\{.*\})'/;

const reattachSchema = z.record(
  z.string(),
  z.looseObject({
    Protocol: z.string(),
    ProtocolVersion: z.number(),
    Pid: z.number().int().positive(),
    Addr: z.object({ Network: z.string(), String: z.string() }),
  }),
);

/** Whether plans share one provider process per layer: on unless `BDDA_SHARED_PROVIDER` is `off`. */
function sharedProviderEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.BDDA_SHARED_PROVIDER !== 'off';
}

/**
 * The AWS provider binary init installed in `dataDir` (`.terraform`), when it is the only
 * provider there; undefined otherwise.
 */
export function installedAwsProvider(dataDir: string): string | undefined {
  const registry = path.join(dataDir, 'providers', 'registry.terraform.io');
  const namespaces = readDir(registry);
  const providers = namespaces.flatMap((ns) => readDir(path.join(registry, ns)).map((name) => `${ns}/${name}`));
  if (providers.length !== 1 || providers[0] !== 'hashicorp/aws') return undefined;
  const versions = readDir(path.join(registry, 'hashicorp', 'aws'));
  if (versions.length !== 1) return undefined;
  const platforms = readDir(path.join(registry, 'hashicorp', 'aws', versions[0]));
  if (platforms.length !== 1) return undefined;
  const dir = path.join(registry, 'hashicorp', 'aws', versions[0], platforms[0]);
  const binaries = readDir(dir).filter((f) => f.startsWith('terraform-provider-aws'));
  return binaries.length === 1 ? path.join(dir, binaries[0]) : undefined;
}

/**
 * Runs `fn` with the environment that attaches terraform to one shared AWS provider, started
 * from `dataDir`'s installed provider with `env`, and stops the provider when `fn` settles. `fn`
 * gets an empty environment where no provider can be shared, or `dataDir` is undefined.
 */
export async function withSharedProvider<T>(
  dataDir: string | undefined,
  env: NodeJS.ProcessEnv,
  fn: (attach: Readonly<Record<string, string>>) => Promise<T>,
): Promise<T> {
  const binary = dataDir && sharedProviderEnabled(env) ? installedAwsProvider(dataDir) : undefined;
  if (!dataDir || !binary) return fn({});
  // Not in the layer's directory: a process working there marks a terraform run as live (terraform-lock-recovery.ts).
  const provider = await startProvider(binary, dataDir, env);
  if (!provider) return fn({});
  try {
    return await fn({ TF_REATTACH_PROVIDERS: provider.reattach });
  } finally {
    await provider.stop();
  }
}

interface RunningProvider {
  readonly reattach: string;
  stop(): Promise<void>;
}

/** The provider's pid from the line it printed once listening, or undefined for any other line. */
function announcedPid(line: string): { reattach: string; pid: number } | undefined {
  const json = REATTACH_LINE.exec(line)?.[1];
  if (json === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return undefined;
  }
  const pid = reattachSchema.safeParse(doc).data?.[AWS_PROVIDER]?.Pid;
  return pid === undefined ? undefined : { reattach: json, pid };
}

async function startProvider(binary: string, cwd: string, env: NodeJS.ProcessEnv): Promise<RunningProvider | undefined> {
  const controller = new AbortController();
  let announce: (found: { reattach: string; pid: number } | undefined) => void = () => undefined;
  const announced = new Promise<{ reattach: string; pid: number } | undefined>((resolve) => (announce = resolve));
  const onLine = (line: string) => {
    const found = announcedPid(line);
    if (found) announce(found);
  };
  // Its plan's commands stop on an interrupt by themselves; the provider is stopped after them.
  const running = runProcess({ binary: 'sh', install: 'a POSIX shell' }, ['-c', SUPERVISOR, binary], {
    cwd,
    env,
    onLine,
    signal: controller.signal,
    onInterrupt: 'finish',
  }).then(
    () => announce(undefined),
    () => announce(undefined),
  );
  const timer = setTimeout(() => announce(undefined), START_TIMEOUT_MS);
  const found = await announced;
  clearTimeout(timer);
  if (found === undefined) {
    controller.abort(new Error('the shared provider did not start'));
    await running;
    return undefined;
  }
  const stop = async () => {
    signal(found.pid, 'SIGINT');
    const stopTimer = setTimeout(() => controller.abort(new Error('the shared provider did not stop')), STOP_TIMEOUT_MS);
    await running;
    clearTimeout(stopTimer);
  };
  return { reattach: found.reattach, stop };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // it is gone already
  }
}

function readDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

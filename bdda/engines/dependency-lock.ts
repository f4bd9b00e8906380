/**
 * The committed dependency lock (`stacks/.terraform.lock.hcl`): the provider versions and their
 * checksums every layer installs. It is copied into each layer's working directory before init, so
 * that init verifies the provider package against it; in CI init may not change it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BddaError } from '../../config/errors';
import { writeFileAtomic } from '../support/fs-atomic';
import { displayPath, repoRoot } from '../support/workspace';

const LOCK_FILE = '.terraform.lock.hcl';

/** The lock file of the checkout this program belongs to, beside the stacks it locks. */
export function committedLockFile(): string {
  return path.join(repoRoot(), 'stacks', LOCK_FILE);
}

/** Copies the committed lock into `dir`, unless the copy there is already the same (init's fingerprint reads it). */
export function installCommittedLock(lockFile: string, dir: string): void {
  const committed = fs.readFileSync(lockFile);
  const copy = path.join(dir, LOCK_FILE);
  if (!fs.existsSync(copy) || !fs.readFileSync(copy).equals(committed)) writeFileAtomic(copy, committed);
}

/** The command that adds the platforms a team uses to the committed lock, where the registry is reachable. */
const ADD_PLATFORMS =
  'npm run synth -- --env dev2 && terraform -chdir=build/dev/dev2/stacks/flag providers lock ' +
  '-platform=linux_amd64 -platform=darwin_arm64 -platform=linux_arm64 && cp build/dev/dev2/stacks/flag/.terraform.lock.hcl stacks/';

/**
 * Terraform's refusal of a provider the committed lock does not allow, as one paragraph naming
 * the lock and what to do; undefined for any other init failure.
 */
export function lockRefusal(output: string, where: string, lockFile: string): BddaError | undefined {
  const text = output.replace(/^[│╷╵]\s?/gm, '').replace(/\s+/g, ' ');
  const lock = displayPath(lockFile, repoRoot());
  const provider = text.match(/registry\.terraform\.io\/([\w-]+\/[\w-]+) (\d+\.\d+\.\d+)/);
  const named = provider ? `${provider[1]} ${provider[2]}` : 'a provider';
  if (/doesn't match any of the checksums previously recorded in the dependency lock file/.test(text)) {
    return new BddaError(
      `${where} refused ${named}: the provider package it found (in the mirror or from the registry, as this run's PROVIDERS line says) ` +
        `matches none of the checksums in the committed dependency lock ${lock}. Either the package is not the one the team reviewed ` +
        `(replace the mirror's copy with the real provider), or the lock lists only other platforms: add yours where the registry ` +
        `is reachable with \`${ADD_PLATFORMS}\`, then review and commit the lock.`,
    );
  }
  if (/does not match configured version constraint|Provider dependency changes detected|lock file is read-only/.test(text)) {
    return new BddaError(
      `${where} refused ${named}: the stacks require a provider the committed dependency lock ${lock} does not list, and in CI ` +
        `(CI is set) init may not change the lock. Update the lock where the registry is reachable with \`${ADD_PLATFORMS}\` ` +
        `(after changing the provider version in the stacks), then review and commit it.`,
    );
  }
  return undefined;
}

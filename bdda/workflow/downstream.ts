/**
 * Which outputs moved when a layer was applied. A saved terraform plan does not read
 * `terraform_remote_state` again when it is applied: KARR's saved plan holds FLAG's outputs as
 * they were when KARR was planned. So when applying a layer changes its outputs, apply plans the
 * layers reading them again (apply-decision.ts), and applies a fresh plan only while it is still
 * the reviewed one; otherwise it stops and writes it for review.
 */
import { isDeepStrictEqual } from 'node:util';
import type { StateOutputs } from '../state/terraform-state';

/** Names of the outputs that appeared, disappeared or changed value (or type, or sensitivity). */
export function changedOutputs(before: StateOutputs, after: StateOutputs): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.filter((name) => !isDeepStrictEqual(before[name], after[name]));
}

/**
 * The policy results as `changes.json` records them under `policy`: what each rule found, with
 * the waiver that covers it, the counts the summary line shows, and the waivers file with its
 * digest. Apply refuses a diff whose waivers file changed since the plan, since the reviewed
 * results were judged with other waivers. Readers of `changes.json` take the shape from here.
 */
import { z } from 'zod';
import { LAYERS } from '../../config/naming';
import type { PolicyResult } from '../../policies/rule';
import type { Waivers } from './waivers';

export const policyRecordSchema = z.object({
  results: z.array(
    z.object({
      rule: z.string(),
      severity: z.enum(['error', 'warning']),
      layer: z.enum(LAYERS),
      address: z.string(),
      message: z.string(),
      waiver: z.object({ index: z.number(), approvedBy: z.string(), expires: z.string(), reason: z.string() }).optional(),
    }),
  ),
  /** Errors no waiver covers: apply refuses while this is above 0. */
  errors: z.number(),
  warnings: z.number(),
  /** Errors a waiver covers. */
  waived: z.number(),
  waivers: z.object({ file: z.string(), digest: z.string() }),
});

/** The `policy` field of `changes.json`. */
export type PolicyRecord = z.infer<typeof policyRecordSchema>;

/** The counts of the summary line: unwaived errors, warnings, waived errors. */
export function policyCounts(results: readonly PolicyResult[]): Pick<PolicyRecord, 'errors' | 'warnings' | 'waived'> {
  return {
    errors: results.filter((r) => r.severity === 'error' && !r.waiver).length,
    warnings: results.filter((r) => r.severity === 'warning').length,
    waived: results.filter((r) => r.severity === 'error' && r.waiver).length,
  };
}

export function policyRecord(results: readonly PolicyResult[], waivers: Pick<Waivers, 'file' | 'digest'>): PolicyRecord {
  return { results: results.map((r) => ({ ...r })), ...policyCounts(results), waivers: { file: waivers.file, digest: waivers.digest } };
}

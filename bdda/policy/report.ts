/**
 * What the policy results mean for people and for the workflow: the POLICY section of
 * `changes.txt` (and of `npm run check`), and the gate that refuses unwaived errors.
 */
import type { PolicyResult } from '../../policies/rule';
import { LABEL } from '../layers/list';
import { alignColumns } from '../support/columns';
import { policyCounts } from './record';
import { waiverFor, type Waivers } from './waivers';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The summary line: `POLICY: 0 errors, 2 warnings` (and `, 1 waived` when errors are waived). */
export function policySummaryLine(results: readonly PolicyResult[]): string {
  const { errors, warnings, waived } = policyCounts(results);
  return `POLICY: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${waived ? `, ${waived} waived` : ''}`;
}

/** The POLICY section: one line per finding, then the summary line. */
export function renderPolicySection(results: readonly PolicyResult[]): string {
  return ['POLICY', policyFindings(results), policySummaryLine(results)].join('\n');
}

/** One indented line per finding, or a line saying there is none. */
export function policyFindings(results: readonly PolicyResult[]): string {
  const rows = results.map((r) => [
    r.severity === 'error' ? (r.waiver ? 'WAIVED' : 'ERROR') : 'WARNING',
    r.rule,
    LABEL[r.layer],
    `${r.address}: ${r.message}${r.waiver ? ` (waiver ${r.waiver.index}, approved by ${r.waiver.approvedBy}, until ${r.waiver.expires}: ${r.waiver.reason})` : ''}`,
  ]);
  const body = rows.length
    ? alignColumns(rows)
        .split('\n')
        .map((line) => `  ${line}`)
    : ['  No findings.'];
  return body.join('\n');
}

/**
 * The errors no waiver covers, and the one paragraph that refuses them. The waivers are read
 * again by the caller, so an apply judges with the waivers as they are when it runs.
 */
export function policyGate(results: readonly PolicyResult[], waivers: Pick<Waivers, 'file' | 'entries'>): { refused: PolicyResult[]; message?: string } {
  const refused = results.filter((r) => r.severity === 'error' && !waiverFor(waivers, r.rule, r.address));
  if (refused.length === 0) return { refused };
  const list = refused.map((r) => `${r.rule} at ${LABEL[r.layer]} ${r.address} (${r.message})`).join('; ');
  return {
    refused,
    message:
      `Policy refused ${plural(refused.length, 'finding')}: ${list}. Fix the configuration or the code, or, if the exception is acceptable, ` +
      `add a waiver to ${waivers.file} (rule, address, reason, approvedBy, expires) and have the platform owners approve it.`,
  };
}

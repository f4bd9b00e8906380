/**
 * Reading terraform's human plan text: the part worth committing, the counts, and the action of
 * each resource address. Terraform's wording here has been stable since 0.15.
 */

export type ResourceAction = 'create' | 'update' | 'replace' | 'delete' | 'read';

export interface PlanCounts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
}

// Lines that vary from run to run (durations, ids being refreshed, the plan file's path) or that
// say nothing about the change.
const NOISE = [
  /: Refreshing state\.\.\./,
  /: Reading\.\.\.$/,
  /: Read complete after /,
  /^Acquiring state lock\./,
  /^Releasing state lock\./,
  /^Saved the plan to: /,
  /^To perform exactly these actions, run the following command to apply:/,
  /^\s+terraform apply "/,
];

/** Plan's stdout without the noise, trimmed of blank lines at either end. */
export function reviewablePlanText(stdout: string): string {
  const lines = stdout
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => !NOISE.some((re) => re.test(line)));
  const text = lines.join('\n').replace(/\n{3,}/g, '\n\n');
  return text.trim();
}

export function planCounts(text: string): PlanCounts {
  const m = text.match(/^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./m);
  return m ? { add: Number(m[1]), change: Number(m[2]), destroy: Number(m[3]) } : { add: 0, change: 0, destroy: 0 };
}

const ACTION_PHRASES: ReadonlyArray<[RegExp, ResourceAction]> = [
  [/ will be created$/, 'create'],
  [/ will be updated in-place$/, 'update'],
  [/ (must|will) be replaced(, as requested)?$/, 'replace'],
  [/ will be destroyed$/, 'delete'],
  [/ will be read during apply$/, 'read'],
];

/** Each resource address with its planned action, in the order terraform lists them. */
export function planActions(text: string): Record<string, ResourceAction> {
  const actions: Record<string, ResourceAction> = {};
  const start = text.indexOf('Terraform will perform the following actions:');
  if (start < 0) return actions;
  for (const line of text.slice(start).split('\n')) {
    const m = line.match(/^  # (\S+)( \(deposed object \w+\))?( is tainted, so)? (.+)$/);
    if (!m) continue;
    const phrase = ` ${m[4]}`;
    const action = ACTION_PHRASES.find(([re]) => re.test(phrase));
    if (action) actions[m[1]] = action[1];
  }
  return actions;
}

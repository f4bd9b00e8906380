/**
 * The Markdown a build leaves for people: `$GITHUB_STEP_SUMMARY` and a pull request comment.
 * First what the policy rules found, since an error stops apply; then per environment and layer the counts; then what is destroyed or replaced, first, since that is
 * what a reviewer must not miss, each replacement with the attributes that force it; then every
 * address or Kubernetes object with its action. It is read from the typed plans in changes.json,
 * the same record apply checks, and cut to fit a comment.
 */
import type { ChangesRecord } from '../diff/changes';
import { type AttributePath, changeKey } from '../diff/typed-plan';
import { LABEL } from '../layers/index';

/** GitHub refuses comments over 65,536 characters; stay clear of it. */
export const SUMMARY_MAX_CHARS = 60_000;

export interface SummaryEntry {
  /** The environment's path, e.g. `dev/dev2`. */
  readonly env: string;
  /** Its changes.json, or undefined when the plan found nothing to do. */
  readonly record?: ChangesRecord;
  /** The repository path of its changes.txt, which the cut line points at. */
  readonly changesFile: string;
}

export interface SummaryOptions {
  readonly branch: string;
  readonly commit: string;
  /** @default SUMMARY_MAX_CHARS */
  readonly maxChars?: number;
  /** A line under the heading saying where the review pages are. @default none */
  readonly reviewNote?: string;
}

const FIRST = new Set(['delete', 'replace']);

export function renderSummary(entries: readonly SummaryEntry[], opts: SummaryOptions): string {
  const maxChars = opts.maxChars ?? SUMMARY_MAX_CHARS;
  const head = [
    `## bdda Build-Diff of \`${opts.branch}\` at \`${opts.commit.slice(0, 7)}\``,
    '',
    ...(opts.reviewNote ? [opts.reviewNote, ''] : []),
    ...policyLines(entries),
    '| environment | layer | add | change | destroy | summary |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...entries.flatMap((e) =>
      e.record
        ? e.record.layers.map(
            (l) =>
              `| ${e.env} | ${LABEL[l.layer] ?? l.layer} | ${l.counts.add ?? 0} | ${l.counts.change ?? 0} | ${(l.counts.destroy ?? 0) + (l.counts.delete ?? 0)} | ${l.summary} |`,
          )
        : [`| ${e.env} | all | 0 | 0 | 0 | in sync: no changes in any layer |`],
    ),
  ];
  // Details, one block per environment; the cut falls between lines, never inside one.
  const blocks = entries.filter((e) => e.record).map((e) => ({ entry: e, lines: detailLines(e.record as ChangesRecord, e.env) }));
  const out: string[] = [...head];
  let size = out.join('\n').length;
  for (let b = 0; b < blocks.length; b++) {
    for (const line of blocks[b].lines) {
      const cut = cutLine(blocks.slice(b).map((x) => x.entry.changesFile));
      if (size + line.length + 1 + cut.length + 2 > maxChars) {
        out.push('', cut);
        return `${out.join('\n')}\n`;
      }
      out.push(line);
      size += line.length + 1;
    }
  }
  return `${out.join('\n')}\n`;
}

/** Each environment's policy counts and findings, errors first. */
function policyLines(entries: readonly SummaryEntry[]): string[] {
  const judged = entries.filter((e): e is SummaryEntry & { record: ChangesRecord } => e.record !== undefined);
  if (judged.length === 0) return [];
  const rank = { ERROR: 0, WAIVED: 1, WARNING: 2 };
  const lines = judged.flatMap(({ env, record: { policy } }) => {
    const findings = policy.results
      .map((r) => ({ ...r, mark: r.severity === 'warning' ? 'WARNING' : r.waiver ? 'WAIVED' : 'ERROR' }) as const)
      .sort((a, b) => rank[a.mark] - rank[b.mark]);
    const counts = `${policy.errors ? `**${policy.errors} error${policy.errors === 1 ? '' : 's'}**` : '0 errors'}, ${policy.warnings} warning${policy.warnings === 1 ? '' : 's'}${policy.waived ? `, ${policy.waived} waived` : ''}`;
    return [
      `- ${env}: ${counts}`,
      ...findings.map(
        (r) =>
          `  - ${r.mark} ${code(r.rule)} ${LABEL[r.layer]} ${code(r.address)}: ${r.message}${r.waiver ? ` (waived until ${r.waiver.expires}, approved by ${r.waiver.approvedBy})` : ''}`,
      ),
    ];
  });
  return ['**Policy** (apply refuses an error no waiver covers)', '', ...lines, ''];
}

function detailLines(record: ChangesRecord, env: string): string[] {
  const items = record.layers.flatMap((l) =>
    l.plan.changes.map((c) => ({ layer: LABEL[l.layer] ?? l.layer, address: changeKey(c), action: c.action, forcedBy: c.replacePaths ?? [] })),
  );
  const line = (i: (typeof items)[number]) =>
    `- ${i.layer} ${code(i.address)} ${i.action}${i.forcedBy.length ? ` (forced by ${i.forcedBy.map((p) => code(attributePath(p))).join(', ')})` : ''}`;
  const first = items.filter((i) => FIRST.has(i.action));
  const rest = items.filter((i) => !FIRST.has(i.action));
  return [
    '',
    `### ${env}`,
    ...record.layers.map((l) => `- ${l.summary}`),
    ...(first.length ? ['', `**Destroyed or replaced (${first.length})**`, '', ...first.map(line)] : []),
    ...(rest.length ? ['', `**Other changes (${rest.length})**`, '', ...rest.map(line)] : []),
  ];
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** `['ingress', 0, 'cidr_blocks']` as `ingress[0].cidr_blocks`. */
function attributePath(path: AttributePath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function cutLine(files: readonly string[]): string {
  return `> ✂ Cut here to stay under a comment's size. The full diff is in ${files.map((f) => `\`${f}\``).join(', ')} on this branch.`;
}

/**
 * The diff files in an environment's folder. `changes.txt` is for people: one section per layer,
 * the POLICY section, and as its last lines one summary per layer and the policy counts.
 * `changes.json` is for apply: each layer's typed plan (typed-plan.ts), the counts and actions
 * derived from it, tool versions, a digest of what each layer planned, and the policy results with
 * the digest of the waivers they were judged with. Both hold no timestamps, so identical
 * inputs give identical bytes. No file means the environment matches its config.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BddaError } from '../../config/errors';
import { removeFile, writeFileAtomic } from '../support/fs-atomic';
import { z } from 'zod';
import { LAYERS, type Layer } from '../../config/naming';
import { displayPath } from '../support/workspace';
import { sha256 } from '../support/digest';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import { planActions, planCounts, type TypedPlan } from './typed-plan';
import { summaryLine } from './summary';
import { type PolicyRecord, policyRecordSchema } from '../policy/record';
import { policyFindings, policySummaryLine } from '../policy/report';

export const CHANGES_TXT = 'changes.txt';
export const CHANGES_JSON = 'changes.json';

/**
 * `preview`: planned against the upstream's planned outputs, for review only; apply plans the
 * layer again once the upstream is applied (bdda/workflow/preview.ts).
 */
export type LayerStatus = 'changes' | 'no-changes' | 'waiting' | 'preview';

/** What a preview was planned against. */
interface PreviewBasis {
  /** The layer whose planned outputs the preview read. */
  readonly upstream: Layer;
  /** Where each placeholder stood in those outputs, e.g. `private_subnet_ids[2]`. */
  readonly placeholders: readonly string[];
}

/** One layer's planned changes. */
export interface LayerPlan {
  readonly layer: Layer;
  /** What produced the diff, e.g. `terraform plan`. */
  readonly engine: string;
  readonly status: LayerStatus;
  /** The section text, for people only: terraform's own rendering of the plan, or the Kubernetes diff. */
  readonly body: string;
  /** What the plan does, as data: every decision on the layer reads this. */
  readonly plan: TypedPlan;
  /** The summary line, e.g. `FLAG: 26 to add, 0 to change, 0 to destroy.`, from `counts`. */
  readonly summary: string;
  /** Planned action per resource address or Kubernetes object, from `plan`. */
  readonly actions: Readonly<Record<string, string>>;
  /** The summary's counts, from `plan`. */
  readonly counts: Readonly<Record<string, number>>;
  /** Set on a preview, and on the plan an engine makes for one. @default not a preview */
  readonly preview?: PreviewBasis;
}

/** What an engine knows of its plan; `layerPlan` derives the rest. */
export interface LayerPlanInput {
  readonly layer: Layer;
  readonly label: string;
  readonly engine: string;
  readonly status: 'changes' | 'no-changes';
  readonly body: string;
  readonly plan: TypedPlan;
  /** How the summary names removals: terraform's `destroy`, Kubernetes' `delete`. */
  readonly removal: 'destroy' | 'delete';
}

/** A layer's plan with its counts, actions and summary line derived from the typed plan. */
export function layerPlan(input: LayerPlanInput): LayerPlan {
  const { layer, label, engine, status, body, plan, removal } = input;
  const counts = planCounts(plan, removal);
  return { layer, engine, status, body, plan, summary: summaryLine(label, { status, counts }), actions: planActions(plan), counts };
}

/** The version of `changes.json` this bdda writes and reads. */
const FORMAT_VERSION = 3 as const;

export interface ChangesRecord {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly environment: string;
  readonly tools: Readonly<Record<string, string>>;
  readonly layers: ReadonlyArray<Omit<LayerPlan, 'body'> & { readonly digest: string }>;
  /** What the policy rules found on the configuration and on these plans, and the waivers' digest. */
  readonly policy: PolicyRecord;
  /** sha256 of changes.txt, to refuse a hand-edited diff. */
  readonly textDigest: string;
  /** sha256 of the rest of this record, to refuse a hand-edited record. */
  readonly digest: string;
}

/**
 * The digest apply recomputes from a fresh plan and compares: the layer, its status and the
 * canonical JSON of its typed plan (keys sorted), never terraform's wording.
 */
export function layerDigest(plan: Pick<LayerPlan, 'layer' | 'status' | 'plan'>): string {
  return sha256(`${plan.layer}\n${plan.status}\n${canonicalJson(plan.plan)}`);
}

function hasChanges(plans: readonly LayerPlan[]): boolean {
  return plans.some((p) => p.status !== 'no-changes');
}

function renderChangesText(envPath: string, tools: Readonly<Record<string, string>>, plans: readonly LayerPlan[], policy: PolicyRecord): string {
  const header = [
    `# Build-Diff of ${envPath}: changes not yet deployed.`,
    `# Review, commit, then deploy with \`npm run apply -- --env ${envPath}\`. The last lines summarise each layer.`,
    `# ${Object.entries(tools)
      .map(([tool, version]) => `${tool} ${version}`)
      .join(', ')}`,
  ].join('\n');
  const sections = plans.map(
    (p) => `======== ${p.layer.toUpperCase()} (${p.engine}${p.status === 'preview' ? ', a preview' : ''}) ========\n\n${previewNote(p)}${p.body}`,
  );
  const summaries = [...plans.map((p) => p.summary), policySummaryLine(policy.results)].join('\n');
  return `${[header, ...sections, policySection(policy), summaries].join('\n\n')}\n`;
}

/** The POLICY section: each finding, and what to do when an error is not waived. */
function policySection(policy: PolicyRecord): string {
  const advice =
    policy.errors > 0
      ? `\n\nApply refuses while an error is not waived. Fix the configuration or the code, or, if the exception is acceptable, ` +
        `add a waiver to ${policy.waivers.file} (rule, address, reason, approvedBy, expires), have it approved, and plan again.`
      : '';
  return `======== POLICY (rules on the configuration and on these plans) ========\n\n${policyFindings(policy.results)}${advice}`;
}

/** The paragraph that opens a preview's section. */
function previewNote(plan: LayerPlan): string {
  if (plan.status !== 'preview' || !plan.preview) return '';
  const upstream = plan.preview.upstream.toUpperCase();
  const label = plan.layer.toUpperCase();
  return (
    `PREVIEW: ${label} planned against ${upstream}'s planned outputs, not against what is deployed. It is never applied as it stands: ` +
    `after ${upstream} is applied, apply plans ${label} again and applies that plan only if it makes the same changes as this preview ` +
    `(the same resources, actions and known values); otherwise it stops and writes ${label}'s real diff here for review. ` +
    `A value shown as (known after ${upstream} is applied) is one ${upstream}'s plan does not know yet.\n\n`
  );
}

function buildRecord(envPath: string, tools: Readonly<Record<string, string>>, plans: readonly LayerPlan[], policy: PolicyRecord, text: string): ChangesRecord {
  const layers = plans.map(({ body: _body, ...rest }) => ({ ...rest, digest: layerDigest(rest) }));
  const unsigned = { formatVersion: FORMAT_VERSION, environment: envPath, tools, layers, policy, textDigest: sha256(text) };
  return { ...unsigned, digest: sha256(JSON.stringify(unsigned)) };
}

/**
 * Writes both files, or removes both when no layer has anything to do. Each file is written to a
 * temporary file and renamed, so a reader never sees half of one.
 */
export function writeChanges(
  dir: string,
  envPath: string,
  tools: Readonly<Record<string, string>>,
  plans: readonly LayerPlan[],
  policy: PolicyRecord,
): 'written' | 'removed' {
  if (!hasChanges(plans)) {
    removeFile(path.join(dir, CHANGES_TXT));
    removeFile(path.join(dir, CHANGES_JSON));
    return 'removed';
  }
  const text = renderChangesText(envPath, tools, plans, policy);
  writeFileAtomic(path.join(dir, CHANGES_JSON), `${JSON.stringify(buildRecord(envPath, tools, plans, policy, text), null, 2)}\n`);
  writeFileAtomic(path.join(dir, CHANGES_TXT), text);
  return 'written';
}

/**
 * Reads the reviewed diff, refusing one that was edited by hand. Undefined when there is none.
 */
export function readChanges(dir: string): { text: string; record: ChangesRecord } | undefined {
  const txtFile = path.join(dir, CHANGES_TXT);
  const jsonFile = path.join(dir, CHANGES_JSON);
  const exists = (f: string) => fs.lstatSync(f, { throwIfNoEntry: false }) !== undefined;
  if (!exists(txtFile) && !exists(jsonFile)) return undefined;
  const rel = (f: string) => displayPath(f);
  const replan = 'Nothing was applied. Run plan again to write a fresh diff, review it, and apply that.';
  if (!exists(txtFile) || !exists(jsonFile)) {
    const [there, gone] = exists(txtFile) ? [txtFile, jsonFile] : [jsonFile, txtFile];
    throw new BddaError(
      `${rel(there)} exists without ${rel(gone)}, so the reviewed diff is incomplete: a plan or apply was interrupted between writing the two files, or one was deleted or edited by hand. ${replan}`,
    );
  }
  const read = (f: string): string => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch (err) {
      throw new BddaError(`${rel(f)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). ${replan}`);
    }
  };
  const text = read(txtFile);
  let raw: unknown;
  try {
    raw = JSON.parse(read(jsonFile));
  } catch (err) {
    if (err instanceof BddaError) throw err;
    throw new BddaError(`${rel(jsonFile)} is not valid JSON; it was edited by hand or damaged. ${replan}`);
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version < FORMAT_VERSION) {
    throw new BddaError(
      `${rel(jsonFile)} was written by an older bdda (format ${version}; this bdda reads format ${FORMAT_VERSION}, where each layer's plan and the policy results are recorded as data). ` +
        `Nothing was applied. Run plan again with this bdda to write the diff anew, review it, and apply that.`,
    );
  }
  const shape = changesRecordSchema.safeParse(raw);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    const key = issue.path.map(String).join('.');
    throw new BddaError(
      `${rel(jsonFile)} is not a diff record that plan writes (${key ? `${key}: ` : ''}${issue.message}); it was edited by hand or damaged. ${replan}`,
    );
  }
  // The digest covers the file as written, so it is computed from what was read, not the parsed copy.
  const record = raw as ChangesRecord;
  const { digest, ...unsigned } = record;
  if (digest !== sha256(JSON.stringify(unsigned))) {
    throw new BddaError(`${rel(jsonFile)} was edited by hand: its digest does not match its content. ${replan}`);
  }
  if (record.textDigest !== sha256(text)) {
    throw new BddaError(
      `${rel(txtFile)} and ${rel(jsonFile)} do not belong together: the text is not the one the record's textDigest describes. ` +
        `A plan or apply was interrupted between writing the two files, or ${CHANGES_TXT} was edited by hand. ${replan}`,
    );
  }
  return { text, record };
}

const resourceChangeSchema = z.looseObject({
  address: z.string(),
  type: z.string(),
  name: z.string(),
  action: z.enum(['create', 'update', 'replace', 'delete', 'read', 'import', 'forget']),
});

/** The shape of `changes.json`; unknown keys are allowed so that a newer record still reads. */
const changesRecordSchema = z.looseObject({
  formatVersion: z.literal(FORMAT_VERSION),
  environment: z.string(),
  tools: z.record(z.string(), z.string()),
  layers: z.array(
    z.looseObject({
      layer: z.enum(LAYERS),
      engine: z.string(),
      status: z.enum(['changes', 'no-changes', 'waiting', 'preview']),
      summary: z.string(),
      actions: z.record(z.string(), z.string()),
      counts: z.record(z.string(), z.number()),
      plan: z.looseObject({
        changes: z.array(resourceChangeSchema),
        outputs: z.array(z.looseObject({ name: z.string() })),
        drift: z.array(resourceChangeSchema),
      }),
      digest: z.string(),
      preview: z.object({ upstream: z.enum(LAYERS), placeholders: z.array(z.string()) }).optional(),
    }),
  ),
  policy: policyRecordSchema,
  textDigest: z.string(),
  digest: z.string(),
});

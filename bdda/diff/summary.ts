/**
 * The one-line summaries of a layer's plan, built from its counts: `FLAG: 26 to add, 0 to change,
 * 0 to destroy.` in changes.txt and changes.json, the same words without the label in progress
 * lines and tables. Terraform counts `destroy`, the Kubernetes diff `delete`.
 */
import type { LayerStatus } from './changes';

export interface SummaryInput {
  readonly status: LayerStatus;
  readonly counts: Readonly<Record<string, number>>;
  /** The label of the layer a waiting layer waits for, or a preview is planned ahead of. */
  readonly waitsFor?: string;
}

/** The summary without the layer's label and without the final full stop, e.g. `1 to add, 0 to change, 0 to destroy`. */
export function summaryWords(plan: SummaryInput): string {
  if (plan.status === 'waiting') return `waits for ${plan.waitsFor ?? 'its upstream'} to be applied`;
  if (plan.status === 'no-changes') return 'no changes';
  const { add = 0, change = 0 } = plan.counts;
  const removal = 'delete' in plan.counts ? `${plan.counts.delete} to delete` : `${plan.counts.destroy ?? 0} to destroy`;
  const nothing = plan.status === 'preview' && Object.values(plan.counts).every((n) => n === 0);
  const words = nothing ? 'no changes' : `${add} to add, ${change} to change, ${removal}`;
  return plan.status === 'preview' ? `${words} (preview until ${plan.waitsFor ?? 'its upstream'} is applied)` : words;
}

/** The summary line that ends changes.txt, e.g. `GOLIATH: no changes.` */
export function summaryLine(label: string, plan: SummaryInput): string {
  return `${label}: ${summaryWords(plan)}.`;
}

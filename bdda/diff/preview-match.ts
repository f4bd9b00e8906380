/**
 * Whether a layer's real plan, made once its upstream was applied, is the preview that was
 * reviewed: the same addresses with the same actions and, where the engine's preview is in the
 * words of its plan, the same text wherever the preview knew the values.
 */
import type { LayerPlan } from './changes';
import { asPlaceholders, comparablePlanText, renderPlaceholders } from './placeholders';

/** The first address whose action differs, as a sentence; undefined when every action is the same. */
export function actionDifference(preview: Pick<LayerPlan, 'actions'>, real: Pick<LayerPlan, 'actions'>): string | undefined {
  const addresses = [...new Set([...Object.keys(preview.actions), ...Object.keys(real.actions)])].sort();
  const differing = addresses.filter((a) => preview.actions[a] !== real.actions[a]);
  if (differing.length === 0) return undefined;
  const [first] = differing;
  const more = differing.length > 1 ? ` (and ${differing.length - 1} more)` : '';
  const was = preview.actions[first] ? `${preview.actions[first]} in the preview` : 'absent from the preview';
  const now = real.actions[first] ? `${real.actions[first]} in the real plan` : 'absent from the real plan';
  return `${first} is ${was} but ${now}${more}`;
}

/**
 * Compares plan texts after writing the real plan in the preview's words: each real value that a
 * placeholder stood for (`values`, placeholder to value) becomes that placeholder again. Returns the
 * first line that differs, as a sentence; undefined when the texts agree.
 */
export function textDifference(preview: string, real: string, values: ReadonlyMap<string, string>, upstreamLabel: string): string | undefined {
  const before = comparablePlanText(preview).split('\n');
  const after = comparablePlanText(renderPlaceholders(asPlaceholders(real, values), upstreamLabel)).split('\n');
  const at = before.findIndex((line, i) => line !== after[i]);
  const index = at >= 0 ? at : before.length < after.length ? before.length : -1;
  if (index < 0) return undefined;
  const shown = (line: string | undefined) => (line === undefined ? 'nothing' : `"${line.trim()}"`);
  return `line ${index + 1} of the plan reads ${shown(after[index])} where the preview read ${shown(before[index])}`;
}

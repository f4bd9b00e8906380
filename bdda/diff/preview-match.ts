/**
 * Whether a layer's real plan, made once its upstream was applied, is the preview that was
 * reviewed: the same addresses with the same actions and, for each resource, the same values
 * after apply wherever the preview knew them. Each placeholder in the preview counts as the real
 * value it stood for (placeholders.ts); a part the preview left unknown may be anything.
 */
import type { LayerPlan } from './changes';
import { holdsPlaceholder } from './placeholders';
import { changeKey, type ResourceChange, type TypedPlan } from './typed-plan';

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
 * The first resource whose values after apply differ from the preview's, naming its address and
 * the attribute path, as a sentence; undefined when every value the preview knew is the real
 * plan's. `values` maps each placeholder to the real value it stood for.
 */
export function valueDifference(preview: TypedPlan, real: TypedPlan, values: ReadonlyMap<string, string>): string | undefined {
  const realByKey = new Map(real.changes.map((c) => [changeKey(c), c]));
  for (const change of preview.changes) {
    const counterpart = realByKey.get(changeKey(change));
    if (!counterpart) continue; // an address missing is actionDifference's to report
    const found = difference(side(change, values), side(counterpart, new Map()), []);
    if (found) return `${changeKey(change)}: ${found}`;
  }
  return undefined;
}

/** One plan's view of a value: what it knows, and where it knows nothing yet. */
interface Side {
  readonly value: unknown;
  /** True, or a structure like the value's with true at each unknown part. */
  readonly unknown: unknown;
  readonly values: ReadonlyMap<string, string>;
}

function side(change: ResourceChange, values: ReadonlyMap<string, string>): Side {
  return { value: change.after, unknown: change.afterUnknown ?? false, values };
}

function child(s: Side, key: string | number): Side {
  const pick = (v: unknown) => (Array.isArray(v) && typeof key === 'number' ? v[key] : isRecord(v) && typeof key === 'string' ? v[key] : undefined);
  return { value: pick(s.value), unknown: pick(s.unknown) ?? false, values: s.values };
}

/** How a part reads in the sentence: its path from the resource, e.g. `subnet_ids[1]` or `tags.Name`. */
function pathText(path: readonly (string | number)[]): string {
  const text = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return text.startsWith('.') ? text.slice(1) : text || 'the whole value';
}

/** Why the real part differs from the preview's, or undefined when it does not. */
function difference(preview: Side, real: Side, path: readonly (string | number)[]): string | undefined {
  if (preview.unknown === true) return undefined;
  const at = pathText(path);
  if (real.unknown === true) return `${at} is known after apply in the real plan, where the preview planned ${shown(resolved(preview))}`;
  const [p, r] = [preview.value, real.value];
  if (Array.isArray(p) && Array.isArray(r)) {
    if (p.length !== r.length) return `${at} has ${r.length} element(s) in the real plan, where the preview planned ${p.length}`;
    return holdsPlaceholder(JSON.stringify(p))
      ? multisetDifference(preview, real, path)
      : firstOf(p.map((_, i) => () => difference(child(preview, i), child(real, i), [...path, i])));
  }
  if (isRecord(p) && isRecord(r)) {
    const keys = [...new Set([...Object.keys(p), ...Object.keys(r)])].sort();
    return firstOf(keys.map((k) => () => difference(child(preview, k), child(real, k), [...path, k])));
  }
  const [want, got] = [resolved(preview), r ?? null];
  return JSON.stringify(want) === JSON.stringify(got) ? undefined : `${at} is ${shown(got)} in the real plan, where the preview planned ${shown(want)}`;
}

/**
 * A list holding a placeholder, compared in any order: terraform orders a set's elements by
 * value, and a placeholder sorts apart from the id it stands for.
 */
function multisetDifference(preview: Side, real: Side, path: readonly (string | number)[]): string | undefined {
  const count = (preview.value as unknown[]).length;
  const free = new Set(Array.from({ length: count }, (_, j) => j));
  for (let i = 0; i < count; i++) {
    const match = [...free].find((j) => difference(child(preview, i), child(real, j), [...path, j]) === undefined);
    if (match === undefined) {
      return `${pathText(path)} in the real plan has no element ${shown(resolved(child(preview, i)))}, which the preview planned (its elements compared in any order)`;
    }
    free.delete(match);
  }
  return undefined;
}

/** The preview's value with each placeholder written as the real value it stood for. */
function resolved(s: Side): unknown {
  const value = s.value ?? null;
  if (typeof value === 'string') {
    // Longest first, so that a placeholder that starts another (`vpc_id`, `vpc_id_b`) is not taken for it.
    const markers = [...s.values.entries()].sort((a, b) => b[0].length - a[0].length);
    return markers.reduce((out, [marker, real]) => out.split(marker).join(real), value);
  }
  if (Array.isArray(value)) return value.map((_, i) => resolved(child(s, i)));
  if (isRecord(value)) return Object.fromEntries(Object.keys(value).map((k) => [k, resolved(child(s, k))]));
  return value;
}

function firstOf(checks: ReadonlyArray<() => string | undefined>): string | undefined {
  for (const check of checks) {
    const found = check();
    if (found !== undefined) return found;
  }
  return undefined;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

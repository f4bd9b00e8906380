/**
 * The placeholders of a preview. A downstream layer is previewed against its upstream's planned
 * outputs; each part the upstream's plan leaves unknown (a new subnet's id) is replaced by a
 * recognisable string, e.g. `bdda-preview-unknown:flag.private_subnet_ids[2]`, which the provider
 * accepts at plan time like any id. changes.txt renders each as `(known after FLAG is applied)`.
 *
 * After the upstream is applied, each placeholder has a real value (`placeholderValues`), and the
 * preview's values, each placeholder taken as that real value, are compared with the real plan's
 * (preview-match.ts).
 */
import type { Layer } from '../../config/naming';
import type { PlannedOutput } from './terraform-plan-json';

const PREFIX = 'bdda-preview-unknown:';
// The part after the prefix: `<layer>.<output>` and any `[index]` or `.key` below it.
const PLACEHOLDER = /bdda-preview-unknown:[a-z][a-z0-9_-]*\.[A-Za-z0-9_.[\]-]+/g;

/** The upstream's outputs for a preview: known values as planned, a placeholder for each unknown part. */
export interface PreviewOutputs {
  readonly values: Readonly<Record<string, { readonly value: unknown; readonly sensitive: boolean }>>;
  /** Where each placeholder stands, e.g. `private_subnet_ids[2]`, in the order met. */
  readonly placeholders: readonly string[];
}

/** The placeholder for one unknown part of `layer`'s outputs, e.g. `private_subnet_ids[2]`. */
export function placeholder(layer: Layer, where: string): string {
  return `${PREFIX}${layer}.${where}`;
}

/** Whether `text` holds a placeholder of any layer. */
export function holdsPlaceholder(text: string): boolean {
  return text.includes(PREFIX);
}

/** Fills each unknown part of the planned outputs with its placeholder. */
export function previewOutputs(layer: Layer, planned: Readonly<Record<string, PlannedOutput>>): PreviewOutputs {
  const placeholders: string[] = [];
  const fill = (value: unknown, unknown: unknown, where: string): unknown => {
    if (unknown === true) {
      placeholders.push(where);
      return placeholder(layer, where);
    }
    if (Array.isArray(value)) return value.map((v, i) => fill(v, Array.isArray(unknown) ? unknown[i] : false, `${where}[${i}]`));
    if (isRecord(value) || isRecord(unknown)) {
      const known = isRecord(value) ? value : {};
      const marks = isRecord(unknown) ? unknown : {};
      const keys = [...new Set([...Object.keys(known), ...Object.keys(marks)])].sort();
      return Object.fromEntries(keys.map((k) => [k, fill(known[k], marks[k], `${where}.${k}`)]));
    }
    return value;
  };
  const values = Object.fromEntries(
    Object.entries(planned).map(([name, out]) => [name, { value: fill(out.value, out.unknown, name), sensitive: out.sensitive }]),
  );
  return { values, placeholders };
}

/** What changes.txt shows for a placeholder of `upstreamLabel`'s outputs. */
function knownAfter(upstreamLabel: string): string {
  return `(known after ${upstreamLabel} is applied)`;
}

/**
 * Plan text with every placeholder in the words changes.txt uses: a quoted placeholder becomes
 * `(known after FLAG is applied)`, as terraform writes `(known after apply)`; one inside a longer
 * string is replaced within it.
 */
export function renderPlaceholders(text: string, upstreamLabel: string): string {
  const words = knownAfter(upstreamLabel);
  return text.replace(new RegExp(`"${PLACEHOLDER.source}"`, 'g'), words).replace(PLACEHOLDER, words);
}

/**
 * A string cut at its placeholders, for a page that marks each one: plain text, and for each
 * placeholder where it stands in its layer's outputs (`flag.private_subnet_ids[1]`).
 */
export function splitPlaceholders(text: string): Array<string | { readonly placeholder: string }> {
  const parts: Array<string | { readonly placeholder: string }> = [];
  let from = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index > from) parts.push(text.slice(from, match.index));
    parts.push({ placeholder: match[0].slice(PREFIX.length) });
    from = match.index + match[0].length;
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}

/**
 * The real value behind each placeholder, once the upstream is applied: `where` (as in
 * `PreviewOutputs.placeholders`) looked up in the applied outputs. A part that is gone, or is not
 * a string, has none.
 */
export function placeholderValues(
  layer: Layer,
  placeholders: readonly string[],
  applied: Readonly<Record<string, { readonly value?: unknown }>>,
): Map<string, string> {
  const found = new Map<string, string>();
  for (const where of placeholders) {
    const [name, ...path] = where.split(/\.|\[|\]\.?/).filter((p) => p !== '');
    let value: unknown = applied[name]?.value;
    for (const step of path) value = Array.isArray(value) ? value[Number(step)] : isRecord(value) ? value[step] : undefined;
    if (typeof value === 'string' && value !== '') found.set(placeholder(layer, where), value);
  }
  return found;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The hierarchy's merge rule: objects merge key by key, lists and scalars replace. The merge also
 * records which file last set each key, so that a validation error can name the file to edit.
 */

export type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface Merged {
  readonly value: Plain;
  /** Dotted key → the file that set it last. */
  readonly provenance: ReadonlyMap<string, string>;
}

/** Merges the levels, root first, leaf last. */
export function mergeLevels(levels: ReadonlyArray<{ file: string; data: Plain }>): Merged {
  const provenance = new Map<string, string>();
  let value: Plain = {};
  for (const level of levels) value = mergeInto(value, level.data, '', level.file, provenance);
  return { value, provenance };
}

function mergeInto(base: Plain, over: Plain, prefix: string, file: string, provenance: Map<string, string>): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const path = prefix ? `${prefix}.${key}` : key;
    provenance.set(path, file);
    // Recursing into new objects too records where each nested key came from.
    out[key] = isPlainObject(value) ? mergeInto(isPlainObject(base[key]) ? (base[key] as Plain) : {}, value, path, file, provenance) : value;
  }
  return out;
}

/** The file that set a key, or the nearest enclosing key; `fallback` when nothing set it. */
export function fileForKey(provenance: ReadonlyMap<string, string>, key: string, fallback: string): string {
  const parts = key
    .replace(/\[\d+\]/g, '')
    .split('.')
    .filter(Boolean);
  for (let n = parts.length; n > 0; n--) {
    const file = provenance.get(parts.slice(0, n).join('.'));
    if (file) return file;
  }
  return fallback;
}

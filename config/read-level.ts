/**
 * Reading one `env.yaml` of the hierarchy: bytes to UTF-8 text to a YAML mapping, with every way
 * that can fail (a file that cannot be read, bytes that are not UTF-8, YAML that does not parse or
 * expands past the parser's limits) turned into a ConfigError naming the file and, where known,
 * the line and key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPair, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { ConfigError } from './errors';
import { isPlainObject, type Plain } from './merge';

/** One level of the hierarchy as read from its file. */
export interface Level {
  /** The file, relative to the repository root. */
  readonly file: string;
  readonly data: Plain;
  /**
   * Dotted key → the source text of a value YAML read as something other than a string (a
   * number, boolean or null), so that a "quote it" hint can show what was written.
   */
  readonly scalarSources: ReadonlyMap<string, string>;
}

/** Aliases `toJS` may expand before it gives up; far above what a config needs. */
const MAX_ALIAS_COUNT = 100;

/**
 * Whether a config file is there: anything at the path counts, even a dangling symbolic link or a
 * directory, so that reading it reports what is wrong instead of the folder silently not counting.
 */
export function configFileExists(file: string): boolean {
  return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}

export function readLevel(root: string, file: string): Level {
  const fail = (message: string): never => {
    throw new ConfigError([{ file, key: '', message }]);
  };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(root, file));
  } catch (err) {
    return fail(unreadableMessage(err));
  }
  const text = decodeUtf8(bytes, fail);

  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) fail(yamlErrorMessage(doc, doc.errors[0]));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    const excessive = /alias/i.test((err as Error).message);
    return fail(
      excessive
        ? `uses YAML aliases (*name) that would expand past the parser's limit of ${MAX_ALIAS_COUNT} (an "alias bomb"); write the values out instead of nesting aliases`
        : `could not be turned into data: ${(err as Error).message}`,
    );
  }
  if (!isPlainObject(data)) fail('must hold a YAML mapping of keys to values at the top level');
  return { file, data: data as Plain, scalarSources: nonStringScalars(doc, text) };
}

function unreadableMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EISDIR':
      return 'is a directory, not a file; an environment folder holds one env.yaml file';
    case 'EACCES':
    case 'EPERM':
      return `cannot be read: permission denied (${code}). Give the user running bdda read access to it, e.g. \`chmod a+r\`, or run as its owner`;
    case 'ELOOP':
      return 'is a symbolic link that points back at itself (ELOOP); replace it with the file or a link to it';
    case 'ENOENT':
      return 'cannot be read: it is a symbolic link to a missing file, or it was removed while bdda ran (ENOENT)';
    default:
      return `cannot be read (${code ?? (err as Error).message}); check that it is a readable file`;
  }
}

/** Strict UTF-8, naming the first line that is not, since a replacement character would reach tags. */
function decodeUtf8(bytes: Buffer, fail: (message: string) => never): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    return decoder.decode(bytes);
  } catch {
    // A newline byte never occurs inside a multi-byte UTF-8 sequence, so lines can be checked alone.
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      try {
        decoder.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
      } catch {
        return fail(`is not valid UTF-8 at line ${line}; save it as UTF-8 (bdda reads no other encoding)`);
      }
      if (end === -1) return fail('is not valid UTF-8; save it as UTF-8 (bdda reads no other encoding)');
      start = end + 1;
    }
  }
}

function yamlErrorMessage(doc: Document, error: Document['errors'][number]): string {
  const line = error.linePos?.[0].line;
  const where = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : 'somewhere';
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const key = keyAtOffset(doc, error.pos[0]);
      return `sets ${key ? `the key ${key}` : 'a key'} twice (again at line ${line}); keys must be unique, so keep one of them`;
    }
    case 'MULTIPLE_DOCS':
      return `holds more than one YAML document (a \`---\` at line ${line} starts another); an env.yaml is one mapping, so remove the marker and merge the parts`;
    default:
      return `is not valid YAML at ${where}: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
  }
}

/** The dotted path of the mapping key whose node starts at `offset`. */
function keyAtOffset(doc: Document, offset: number): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        const parent = dottedPath(ancestors, pair);
        found = parent ? `${parent}.${String(pair.key.value)}` : String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Key path of `node` from its ancestors, in the loader's notation: `a.b[2].c`. */
function dottedPath(ancestors: readonly unknown[], node: unknown): string {
  let key = '';
  ancestors.forEach((item, i) => {
    const next = i + 1 < ancestors.length ? ancestors[i + 1] : node;
    if (isPair(item) && isScalar(item.key)) {
      key = key ? `${key}.${String(item.key.value)}` : String(item.key.value);
    } else if (isSeq(item)) {
      key = `${key}[${item.items.indexOf(next as never)}]`;
    }
  });
  return key;
}

function nonStringScalars(doc: Document, text: string): Map<string, string> {
  const sources = new Map<string, string>();
  visit(doc, {
    Scalar(where, node, ancestors) {
      if (where === 'key' || typeof node.value === 'string' || !node.range) return;
      sources.set(dottedPath(ancestors, node), text.slice(node.range[0], node.range[1]).trim());
    },
  });
  return sources;
}

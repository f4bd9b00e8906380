/**
 * A state bucket in memory, with the conditional writes the ledger relies on: enough of
 * StateBackend for unit tests of what the ledger records.
 */
import type { StateBackend } from '../../bdda/state/state-backend';
import type { WriteCondition } from '../../bdda/state/objects';

export function memoryBackend(): { backend: StateBackend; objects: Map<string, string> } {
  const objects = new Map<string, string>();
  const etags = new Map<string, string>();
  let version = 0;
  const put = (key: string, body: string) => {
    objects.set(key, body);
    etags.set(key, `"${++version}"`);
    return { etag: etags.get(key) };
  };
  const backend = {
    bucket: 'memory',
    getObject: async (key: string) => objects.get(key),
    getObjectWithEtag: async (key: string) => (objects.has(key) ? { body: objects.get(key)!, etag: etags.get(key) } : undefined),
    putObject: async (key: string, body: string) => void put(key, body),
    deleteObject: async (key: string) => void (objects.delete(key), etags.delete(key)),
    putObjectIf: async (key: string, body: string, condition: WriteCondition) => {
      const ok = 'ifNoneMatch' in condition ? !objects.has(key) : etags.get(key) === condition.ifMatch;
      return ok ? put(key, body) : ('precondition-failed' as const);
    },
    listKeys: async (prefix: string) => [...objects.keys()].filter((k) => k.startsWith(prefix)),
    destroy: () => undefined,
  };
  // The same bucket as the compare-and-swap of json-objects.ts reads it.
  const conditional = {
    get: backend.getObject,
    getWithEtag: backend.getObjectWithEtag,
    put: backend.putObject,
    putIf: backend.putObjectIf,
    delete: backend.deleteObject,
    deleteIf: async (key: string, etag: string) => {
      if (!objects.has(key)) return 'gone' as const;
      if (etags.get(key) !== etag) return 'changed' as const;
      objects.delete(key);
      etags.delete(key);
      return 'deleted' as const;
    },
    listKeys: backend.listKeys,
    url: (key: string) => `s3://memory/${key}`,
  };
  Object.assign(backend, { objects: conditional });
  return { backend: backend as unknown as StateBackend, objects };
}

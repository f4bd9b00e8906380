#!/usr/bin/env node
/**
 * A stand-in for kubectl (KUBECTL_BINARY) holding a small cluster in FAKE_KUBECTL_DIR/cluster.json
 * (`{ namespaces: [...], objects: { <kubectl diff name>: object } }`), answering as kubectl does
 * where bdda relies on it:
 *
 * - `diff --server-side -f F`: each object is dry-run in file order; one in a namespace the
 *   cluster lacks fails the whole diff as the API server does (`namespaces "x" not found`,
 *   exit 2, since kubectl diff exits above 1 on errors); otherwise a unified diff against the
 *   stored object in kubectl's layout (temp folders, file times), exit 1 when anything differs.
 *   A `diff.txt` in the folder is printed instead of a computed diff.
 * - `apply --server-side -f F`: objects stored in file order; one whose namespace does not exist
 *   (yet) is refused, the others applied, and the exit code is 1 if any was refused.
 * - `delete -f F`: removes the objects; the file is kept as `deleted.yaml`.
 * - `get namespaces -o name`, `version --client -o json` (FAKE_KUBECTL_VERSION, default v1.35.1).
 *
 * Every call is appended to `calls.log` as `$KUBECONFIG <args>`.
 */
const fs = require('node:fs');
const path = require('node:path');
const { createTwoFilesPatch } = require('diff');
const { parseAllDocuments, stringify } = require('yaml');

const dir = process.env.FAKE_KUBECTL_DIR;
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'calls.log'), `${process.env.KUBECONFIG} ${args.join(' ')}\n`);

const clusterFile = path.join(dir, 'cluster.json');
const cluster = fs.existsSync(clusterFile) ? JSON.parse(fs.readFileSync(clusterFile, 'utf8')) : { namespaces: [], objects: {} };
const save = () => fs.writeFileSync(clusterFile, JSON.stringify(cluster, null, 2));
const fileArg = () => args[args.indexOf('-f') + 1];
const objectsOf = (file) =>
  parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o && typeof o === 'object');
const nameOf = (o) => [...o.apiVersion.split('/'), o.kind, ...(o.metadata.namespace ? [o.metadata.namespace] : []), o.metadata.name].join('.');
const resourceOf = (o) => `${o.kind.toLowerCase()}${o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : ''}/${o.metadata.name}`;
const missingNamespace = (o) => o.metadata.namespace && !cluster.namespaces.includes(o.metadata.namespace);

switch (args[0]) {
  case 'version': {
    const gitVersion = process.env.FAKE_KUBECTL_VERSION || 'v1.35.1';
    const minor = gitVersion.split('.')[1];
    process.stdout.write(JSON.stringify({ clientVersion: { major: '1', minor, gitVersion } }));
    process.exit(0);
    break;
  }
  case 'get': {
    if (args[1] !== 'namespaces') process.exit(3);
    process.stdout.write(cluster.namespaces.map((n) => `namespace/${n}\n`).join(''));
    process.exit(0);
    break;
  }
  case 'diff': {
    if (!args.includes('--server-side')) process.exit(3);
    const objects = objectsOf(fileArg());
    const refused = objects.find(missingNamespace);
    if (refused) {
      process.stderr.write(`Error from server (NotFound): namespaces "${refused.metadata.namespace}" not found\n`);
      process.exit(2);
    }
    const canned = path.join(dir, 'diff.txt');
    if (fs.existsSync(canned)) {
      process.stdout.write(fs.readFileSync(canned, 'utf8'));
      process.exit(1);
    }
    const text = (o) => (o ? stringify(o) : '');
    let out = '';
    for (const o of objects) {
      const live = cluster.objects[nameOf(o)];
      if (text(live) === text(o)) continue;
      const [a, b] = [`/tmp/LIVE-4242/${nameOf(o)}`, `/tmp/MERGED-4242/${nameOf(o)}`];
      const patch = createTwoFilesPatch(a, b, text(live), text(o), '2026-11-25 10:00:00.000000000 +0000', '2026-11-25 10:00:01.000000000 +0000');
      out += `diff -u -N ${a} ${b}\n${patch.split('\n').slice(1).join('\n')}`;
    }
    process.stdout.write(out);
    process.exit(out ? 1 : 0);
    break;
  }
  case 'apply': {
    let failed = false;
    for (const o of objectsOf(fileArg())) {
      if (missingNamespace(o)) {
        process.stderr.write(`Error from server (NotFound): error when creating "${fileArg()}": namespaces "${o.metadata.namespace}" not found\n`);
        failed = true;
        continue;
      }
      cluster.objects[nameOf(o)] = o;
      if (o.kind === 'Namespace' && !cluster.namespaces.includes(o.metadata.name)) cluster.namespaces.push(o.metadata.name);
      process.stdout.write(`${resourceOf(o)} serverside-applied\n`);
    }
    save();
    process.exit(failed ? 1 : 0);
    break;
  }
  case 'delete': {
    fs.copyFileSync(fileArg(), path.join(dir, 'deleted.yaml'));
    for (const o of objectsOf(fileArg())) {
      delete cluster.objects[nameOf(o)];
      if (o.kind === 'Namespace') cluster.namespaces = cluster.namespaces.filter((n) => n !== o.metadata.name);
      process.stdout.write(`${o.kind.toLowerCase()} "${o.metadata.name}" deleted\n`);
    }
    save();
    process.exit(0);
    break;
  }
  default:
    process.exit(3);
}

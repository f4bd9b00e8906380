/** The Kubernetes diff against the manifest record, as a typed plan: actions, counts, deletions, masked secrets. */
import { stringify } from 'yaml';
import { diffManifests } from '../bdda/diff/kubernetes-diff';
import { planActions, planCounts } from '../bdda/diff/typed-plan';

const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'payments' }, data });
const stream = (...objects: object[]) => objects.map((o) => stringify(o)).join('---\n');

describe('diffManifests', () => {
  test('nothing recorded: every object is a create', () => {
    const diff = diffManifests(undefined, stream(ns('a'), ns('b')));
    expect(planActions(diff.plan)).toEqual({ 'v1 Namespace a': 'create', 'v1 Namespace b': 'create' });
    expect(planCounts(diff.plan, 'delete')).toEqual({ add: 2, change: 0, delete: 0 });
    expect(diff.plan.changes[0]).toEqual({
      address: 'v1 Namespace a',
      type: 'Namespace',
      name: 'a',
      action: 'create',
      before: null,
      after: ns('a'),
    });
    expect(diff.body).toContain('# v1 Namespace a will be created');
    expect(diff.body).toContain('+  name: a');
  });

  test('a changed object is an update with a unified diff; a missing one is a delete', () => {
    const diff = diffManifests(stream(ns('a'), ns('gone')), stream(ns('a', { team: 'x' })));
    expect(planActions(diff.plan)).toEqual({ 'v1 Namespace a': 'update', 'v1 Namespace gone': 'delete' });
    expect(planCounts(diff.plan, 'delete')).toEqual({ add: 0, change: 1, delete: 1 });
    expect(diff.plan.changes.map((c) => [c.before, c.after])).toEqual([
      [ns('a'), ns('a', { team: 'x' })],
      [ns('gone'), null],
    ]);
    expect(diff.body).toMatch(/^\+ {4}team: x$/m);
    expect(diff.body).toContain('# v1 Namespace gone will be deleted (it left the chart)');
    expect(diff.body.split('\n').pop()).toBe('Goliath: 0 to add, 1 to change, 1 to delete.');
  });

  test('identical manifests in another order are no change', () => {
    const diff = diffManifests(stream(ns('a'), ns('b')), stream(ns('b'), ns('a')));
    expect(diff.plan.changes).toEqual([]);
    expect(diff.body).toBe('No changes. The recorded manifests match the chart.');
  });

  test('secret values never appear, but a changed value still shows as a change', () => {
    const diff = diffManifests(stream(secret({ password: 'b2xk', user: 'dXNlcg==' })), stream(secret({ password: 'bmV3', user: 'dXNlcg==' })));
    expect(planActions(diff.plan)).toEqual({ 'v1 Secret payments/db': 'update' });
    expect(diff.body).not.toMatch(/b2xk|bmV3|dXNlcg==/);
    expect(JSON.stringify(diff.plan)).not.toMatch(/b2xk|bmV3|dXNlcg==/);
    expect(diff.plan.changes[0].after).toEqual(expect.objectContaining({ data: { password: '*** (changed)', user: '***' } }));
    expect(diff.body).toContain('+  password: "*** (changed)"');
    const created = diffManifests(undefined, stream(secret({ token: 'c2VjcmV0' })));
    expect(created.body).not.toContain('c2VjcmV0');
    expect(created.body).toContain('token: "***"');
    expect(JSON.stringify(created.plan)).not.toContain('c2VjcmV0');
  });

  test('the same inputs give the same text', () => {
    const a = diffManifests(stream(ns('a')), stream(ns('a', { x: 'y' }), ns('c')));
    const b = diffManifests(stream(ns('a')), stream(ns('a', { x: 'y' }), ns('c')));
    expect(a.body).toBe(b.body);
  });
});

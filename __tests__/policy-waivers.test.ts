/**
 * Waivers and severities: how `waivers.yaml` is read (and refused), how a waiver covers a
 * finding, how `policy.severity` in the hierarchy changes a rule's weight, and the POLICY section
 * and gate message that people read, and the results as the diff files carry them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BddaError } from '../config/errors';
import { loadEnvironment } from '../config/load';
import type { PolicyResult } from '../policies/rule';
import { policyGate, renderPolicySection } from '../bdda/policy/report';
import { readWaivers } from '../bdda/policy/waivers';
import { policyRecord } from '../bdda/policy/record';
import { layerPlan, readChanges, writeChanges } from '../bdda/diff/changes';
import { editFile, makeScratch, removeScratch } from './support/scratch';

let root: string;
beforeEach(() => (root = makeScratch()));
afterEach(() => removeScratch(root));

const TODAY = new Date('2026-06-01T12:00:00Z');
const env = () => ({ path: 'dev/dev2', dir: path.join(root, 'environments', 'dev', 'dev2') });
const writeWaivers = (text: string) => fs.writeFileSync(path.join(env().dir, 'waivers.yaml'), text);
const entry = (fields: Record<string, string>) =>
  Object.entries({ rule: 'IMDSV2', address: 'aws_launch_template.*', reason: 'vendor agent', approvedBy: 'alice', expires: '2026-06-01', ...fields })
    .map(([k, v], i) => `${i === 0 ? '  - ' : '    '}${k}: ${v}`)
    .join('\n');
/** The message readWaivers refuses with. */
const refusal = (): string => {
  try {
    readWaivers(env(), TODAY);
  } catch (err) {
    expect(err).toBeInstanceOf(BddaError);
    return (err as Error).message;
  }
  throw new Error('readWaivers accepted the file');
};

describe('waivers.yaml', () => {
  test('no file means no waivers, with a digest of its own', () => {
    expect(readWaivers(env(), TODAY)).toEqual({ file: 'environments/dev/dev2/waivers.yaml', entries: [], digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  test('entries are read with their index; one expiring today still holds', () => {
    writeWaivers(`waivers:\n${entry({})}\n${entry({ rule: 'PINNED-IMAGES', address: 'apps/v1 Deployment platform/*', expires: '2027-01-31' })}\n`);
    expect(readWaivers(env(), TODAY).entries.map((w) => [w.index, w.rule, w.expires])).toEqual([
      [0, 'IMDSV2', '2026-06-01'],
      [1, 'PINNED-IMAGES', '2027-01-31'],
    ]);
  });

  test('an edited file has another digest', () => {
    writeWaivers(`waivers:\n${entry({})}\n`);
    const before = readWaivers(env(), TODAY).digest;
    writeWaivers(`waivers:\n${entry({ reason: 'another reason' })}\n`);
    expect(readWaivers(env(), TODAY).digest).not.toBe(before);
  });

  test('an expired waiver is refused, naming the file, the entry and its rule', () => {
    writeWaivers(`waivers:\n${entry({})}\n${entry({ expires: '2026-05-31' })}\n`);
    const message = refusal();
    expect(message).toContain('environments/dev/dev2/waivers.yaml');
    expect(message).toContain('waivers[1] (rule IMDSV2)');
    expect(message).toContain('expired on 2026-05-31');
  });

  test('a waiver without an approver is refused, naming the entry and the key', () => {
    writeWaivers(`waivers:\n  - rule: FLOW-LOGS\n    address: aws_vpc.vpc\n    reason: a lab VPC\n    expires: 2026-12-01\n`);
    const message = refusal();
    expect(message).toContain('waivers[0] (rule FLOW-LOGS)');
    expect(message).toContain('approvedBy');
  });

  test('a date that is not YYYY-MM-DD is refused', () => {
    writeWaivers(`waivers:\n${entry({ expires: 'next week' })}\n`);
    expect(refusal()).toContain('waivers[0] (rule IMDSV2): expires');
  });

  test('a waiver of an unknown rule is refused', () => {
    writeWaivers(`waivers:\n${entry({ rule: 'NO-SUCH-RULE' })}\n`);
    expect(refusal()).toContain('waivers[0] (rule NO-SUCH-RULE): "NO-SUCH-RULE" is not a policy rule');
  });

  test('a file that is not a list of waivers is refused', () => {
    writeWaivers(`- rule: IMDSV2\n`);
    expect(refusal()).toContain('must be a mapping with one key, `waivers`');
    writeWaivers(`waivers: [\n`);
    expect(refusal()).toContain('is not valid YAML');
  });
});

describe('the gate and the POLICY section', () => {
  const result = (fields: Partial<PolicyResult>): PolicyResult => ({
    rule: 'IMDSV2',
    severity: 'error',
    layer: 'karr',
    address: 'aws_launch_template.general',
    message: 'does not require IMDSv2',
    ...fields,
  });

  test('a waiver matches its rule at an exact address or a glob; the gate refuses the rest, naming each and the waivers file', () => {
    writeWaivers(
      `waivers:\n${entry({ address: 'aws_launch_template.*' })}\n${entry({ rule: 'PINNED-IMAGES', address: '"apps/v1 Deployment platform/metrics-server"' })}\n`,
    );
    const waivers = readWaivers(env(), TODAY);
    const results = [
      result({}),
      result({ rule: 'PINNED-IMAGES', layer: 'goliath', address: 'apps/v1 Deployment platform/metrics-server' }),
      result({ rule: 'PINNED-IMAGES', layer: 'goliath', address: 'apps/v1 Deployment platform/cluster-autoscaler' }),
      result({ rule: 'FLOW-LOGS', layer: 'flag', address: 'aws_vpc.vpc' }),
      result({ rule: 'KMS-KEY-ROTATION', severity: 'warning', address: 'aws_kms_key.logs' }),
    ];
    const gate = policyGate(results, waivers);
    expect(gate.refused.map((r) => `${r.rule} ${r.address}`)).toEqual([
      'PINNED-IMAGES apps/v1 Deployment platform/cluster-autoscaler',
      'FLOW-LOGS aws_vpc.vpc',
    ]);
    expect(gate.message).toContain('PINNED-IMAGES at GOLIATH apps/v1 Deployment platform/cluster-autoscaler');
    expect(gate.message).toContain('FLOW-LOGS at FLAG aws_vpc.vpc');
    expect(gate.message).toContain('environments/dev/dev2/waivers.yaml');
    expect(policyGate([result({ severity: 'warning' })], readWaivers({ ...env(), dir: root }, TODAY))).toEqual({ refused: [] });
  });

  test('the section lists each finding and ends with the counts, waived errors apart', () => {
    const section = renderPolicySection([
      result({ waiver: { index: 0, approvedBy: 'alice', expires: '2026-12-01', reason: 'vendor agent' } }),
      result({ severity: 'warning', rule: 'PINNED-IMAGES', layer: 'goliath', address: 'apps/v1 Deployment platform/x', message: 'runs x:latest' }),
      result({ severity: 'warning', rule: 'PINNED-IMAGES', layer: 'goliath', address: 'apps/v1 Deployment platform/y', message: 'runs y:latest' }),
    ]).split('\n');
    expect(section[0]).toBe('POLICY');
    expect(section[1]).toMatch(
      /^ {2}WAIVED +IMDSV2 +KARR +aws_launch_template\.general: does not require IMDSv2 \(waiver 0, approved by alice, until 2026-12-01: vendor agent\)$/,
    );
    expect(section[2]).toMatch(/^ {2}WARNING +PINNED-IMAGES +GOLIATH +apps\/v1 Deployment platform\/x: runs x:latest$/);
    expect(section.at(-1)).toBe('POLICY: 0 errors, 2 warnings, 1 waived');
    expect(
      renderPolicySection([result({})])
        .split('\n')
        .at(-1),
    ).toBe('POLICY: 1 error, 0 warnings');
  });
});

describe('policy.severity in the hierarchy', () => {
  test("a tier sets a rule's severity, a leaf overrides it, and unset rules keep their default", () => {
    editFile(root, 'environments/dev/env.yaml', /^tags:/m, 'policy:\n  severity:\n    PINNED-IMAGES: warning\n    IMDSV2: off\n\ntags:');
    editFile(root, 'environments/dev/dev2/env.yaml', /$/, '\npolicy:\n  severity:\n    IMDSV2: error\n');
    expect(loadEnvironment(root, 'dev1').config.policy.severity).toEqual({ 'PINNED-IMAGES': 'warning', IMDSV2: 'off' });
    expect(loadEnvironment(root, 'dev2').config.policy.severity).toEqual({ 'PINNED-IMAGES': 'warning', IMDSV2: 'error' });
    expect(loadEnvironment(root, 'stg1').config.policy.severity).toEqual({});
  });

  test('an unknown rule id is refused, naming the file and the key', () => {
    editFile(root, 'environments/prod/env.yaml', /^tags:/m, 'policy:\n  severity:\n    FLOW-LOG: warning\n\ntags:');
    expect(() => loadEnvironment(root, 'us1')).toThrow('environments/prod/env.yaml: policy.severity.FLOW-LOG: "FLOW-LOG" is not a policy rule');
  });

  test('a severity other than error, warning or off is refused', () => {
    editFile(root, 'environments/prod/env.yaml', /^tags:/m, 'policy:\n  severity:\n    FLOW-LOGS: info\n\ntags:');
    expect(() => loadEnvironment(root, 'us1')).toThrow(/environments\/prod\/env\.yaml: policy\.severity\.FLOW-LOGS/);
  });
});

describe('the policy results in the diff files', () => {
  test("changes.txt ends with the POLICY line after the layers' summaries; changes.json records the results and the waivers' digest", () => {
    writeWaivers(`waivers:\n${entry({ expires: '2999-01-01' })}\n`);
    const waivers = readWaivers(env(), TODAY);
    const results: PolicyResult[] = [
      {
        rule: 'IMDSV2',
        severity: 'error',
        layer: 'karr',
        address: 'aws_launch_template.general',
        message: 'does not require IMDSv2',
        waiver: { index: 0, approvedBy: 'alice', expires: '2999-01-01', reason: 'vendor agent' },
      },
      { rule: 'OPEN-INGRESS', severity: 'error', layer: 'flag', address: 'aws_security_group.web', message: 'admits ingress from 0.0.0.0/0' },
    ];
    const changes = [{ address: 'aws_vpc.vpc', type: 'aws_vpc', name: 'vpc', action: 'create' as const, before: null, after: {} }];
    const flag = layerPlan({
      layer: 'flag',
      label: 'FLAG',
      engine: 'terraform plan',
      status: 'changes',
      body: '  # aws_vpc.vpc will be created',
      plan: { changes, outputs: [], drift: [] },
      removal: 'destroy',
    });
    writeChanges(env().dir, 'dev/dev2', { terraform: '1.11.4' }, [flag], policyRecord(results, waivers));

    const read = readChanges(env().dir);
    const lines = read?.text.trimEnd().split('\n') ?? [];
    expect(lines.slice(-2)).toEqual(['FLAG: 1 to add, 0 to change, 0 to destroy.', 'POLICY: 1 error, 0 warnings, 1 waived']);
    expect(read?.text).toMatch(/^ {2}ERROR +OPEN-INGRESS +FLAG +aws_security_group\.web: admits ingress from 0\.0\.0\.0\/0$/m);
    expect(read?.text).toContain('add a waiver to environments/dev/dev2/waivers.yaml');
    expect(read?.record.policy).toEqual({ results, errors: 1, warnings: 0, waived: 1, waivers: { file: waivers.file, digest: waivers.digest } });
  });
});

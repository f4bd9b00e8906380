/**
 * The apply run (bdda/workflow/apply-run.ts) carrying out apply's decisions, with fake engines:
 * each layer's plans are scripted in the order the planner is asked for them (the first is the
 * plan that verifies the review), applies and diff writes are recorded in the order they happen.
 */
import { BddaError } from '../config/errors';
import { LAYERS, type Layer } from '../config/naming';
import { type ChangesRecord, type LayerPlan, type LayerStatus, layerDigest } from '../bdda/diff/changes';
import { LABEL, UPSTREAM } from '../bdda/layers/list';
import type { StateOutputs } from '../bdda/state/terraform-state';
import type { ReviewMode } from '../bdda/workflow/apply-decision';
import { type ApplyEngine, type ApplyPorts, runApply } from '../bdda/workflow/apply-run';
import { policyRecord } from '../bdda/policy/record';
import { waiverFor, type Waivers } from '../bdda/policy/waivers';
import type { PolicyResult } from '../policies/rule';

const ENV = 'dev/dev1';
const DIFF_PATH = 'environments/dev/dev1/changes.txt';
const NEXT = 'Review the new diff in changes.txt, commit it, and run apply again.';
const NO_WAIVERS: Waivers = { file: 'environments/dev/dev1/waivers.yaml', entries: [], digest: 'digest of no waivers file' };

function plan(layer: Layer, status: LayerStatus, body = `${layer} ${status}`): LayerPlan {
  const counts: Record<string, number> = status === 'changes' || status === 'preview' ? { add: 1, change: 0, destroy: 0 } : {};
  // The typed plan tells the scripted plans apart, as the digest reads it.
  const typed = { changes: [{ address: body, type: 'fake', name: body, action: 'create' as const, before: null, after: null }], outputs: [], drift: [] };
  return { layer, engine: 'fake plan', status, body, summary: `${LABEL[layer]}: ${status}.`, actions: {}, counts, plan: typed };
}

const preview = (layer: Layer) => ({ ...plan(layer, 'preview'), preview: { upstream: UPSTREAM[layer] as Layer, placeholders: [] } });

/** The policy results of `findings`, each marked with the waiver of `waivers` that covers it. */
function judged(findings: readonly Omit<PolicyResult, 'waiver'>[], waivers: Waivers) {
  const results = findings.map((f) => {
    const waiver = waiverFor(waivers, f.rule, f.address);
    return waiver ? { ...f, waiver: { index: waiver.index, approvedBy: waiver.approvedBy, expires: waiver.expires, reason: waiver.reason } } : f;
  });
  return policyRecord(results, waivers);
}

/** changes.json as plan writes it for `plans`, with the policy results of `findings` judged with `waivers`. */
function reviewOf(plans: readonly LayerPlan[], waivers: Waivers = NO_WAIVERS, findings: readonly Omit<PolicyResult, 'waiver'>[] = []): ChangesRecord {
  return {
    formatVersion: 3,
    environment: ENV,
    tools: { fake: '1' },
    layers: plans.map(({ body: _body, ...rest }) => ({ ...rest, digest: layerDigest(rest) })),
    policy: judged(findings, waivers),
    textDigest: 'not read by the run',
    digest: 'not read by the run',
  };
}

interface Script {
  /** @default 'whole-cake' */
  readonly review?: ReviewMode;
  /** Each layer's plans, in the order the planner is asked for them. */
  readonly plans: Readonly<Record<Layer, LayerPlan[]>>;
  /** Each layer's outputs before and after its apply. @default none (like Goliath) */
  readonly outputs?: Partial<Record<Layer, readonly [StateOutputs, StateOutputs]>>;
  /** What each previewed layer's engine says of its real plan. @default it makes the preview's changes */
  readonly previewDifference?: Partial<Record<Layer, string>>;
  /** The layer whose apply fails. @default none */
  readonly failing?: Layer;
  /** What the policy rules find on any plan. @default nothing */
  readonly findings?: readonly Omit<PolicyResult, 'waiver'>[];
  /** The waivers as apply reads them. @default none */
  readonly waivers?: Waivers;
}

/** Runs apply on the reviewed diff `review` against fake engines that follow `script`. */
async function run(review: ChangesRecord, script: Script) {
  const events: string[] = [];
  const lines: string[] = [];
  const applied = new Set<Layer>();
  const deployed = new Set<Layer>();
  const queues = Object.fromEntries(LAYERS.map((l) => [l, [...script.plans[l]]])) as Record<Layer, LayerPlan[]>;
  let diff: readonly LayerPlan[] | undefined = [];

  const engine = (layer: Layer): ApplyEngine => ({
    layer,
    label: LABEL[layer],
    upstream: UPSTREAM[layer],
    apply: async () => {
      events.push(`apply ${layer}`);
      if (script.failing === layer) throw new BddaError(`${LABEL[layer]}'s apply failed`);
      deployed.add(layer);
    },
    outputs: async () => script.outputs?.[layer]?.[deployed.has(layer) ? 1 : 0],
    previewDifference: async () => script.previewDifference?.[layer],
  });
  const ports: ApplyPorts = {
    envPath: ENV,
    review: script.review ?? 'whole-cake',
    diffPath: DIFF_PATH,
    engines: LAYERS.map(engine),
    progress: { step: (_env, label, message) => lines.push(`${label} ${message}`), warn: () => undefined, passthrough: () => undefined },
    plan: async (only) => {
      const layers = only ?? LAYERS;
      events.push(`plan ${layers.join(',')}`);
      return layers.map((l) => {
        const next = queues[l].shift();
        if (!next) throw new Error(`the script has no more plans of ${l}`);
        return next;
      });
    },
    versions: async () => ({ fake: '1' }),
    waivers: script.waivers ?? NO_WAIVERS,
    policy: () => judged(script.findings ?? [], script.waivers ?? NO_WAIVERS),
    writeDiff: (_tools, plans) => {
      const removed = plans.every((p) => p.status === 'no-changes');
      events.push(removed ? 'remove diff' : `write ${plans.map((p) => `${p.layer}:${p.status}`).join(' ')}`);
      diff = removed ? undefined : plans;
      return removed ? 'removed' : 'written';
    },
  };
  const outcome = runApply(ports, review, applied);
  return { outcome, events, lines, applied, diff: () => diff };
}

describe('the apply run, with fake engines', () => {
  test('a fresh environment reviewed whole-cake: FLAG, then the real plan of the previewed KARR, which matches, then GOLIATH', async () => {
    const [flag, karr, goliath, karrReal] = [plan('flag', 'changes'), preview('karr'), plan('goliath', 'changes'), plan('karr', 'changes')];
    const { outcome, events, lines, applied, diff } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr, karrReal], goliath: [goliath, { ...goliath }] },
      outputs: { flag: [{}, { vpc_id: { value: 'vpc-1' } }], karr: [{}, { cluster_name: { value: 'dev-dev1' } }] },
    });
    await expect(outcome).resolves.toBe('applied');
    expect(events).toEqual([
      'plan flag,karr,goliath',
      'apply flag',
      'write karr:preview goliath:changes',
      'plan karr',
      // The real plan takes the preview's place before it is applied.
      'write karr:changes goliath:changes',
      'apply karr',
      'write goliath:changes',
      // KARR's outputs moved, so GOLIATH's saved plan is made again; it is still the reviewed one.
      'plan goliath',
      'apply goliath',
      'remove diff',
    ]);
    expect([...applied]).toEqual(['flag', 'karr', 'goliath']);
    expect(diff()).toBeUndefined();
    expect(lines).toContain('KARR planning for real now that FLAG is applied, to compare with the reviewed preview');
    expect(lines).toContain('KARR the real plan makes the changes of the reviewed preview; applying it');
    expect(lines).toContain('KARR outputs changed (cluster_name); planning GOLIATH again, since a saved plan keeps the old ones');
    expect(lines[lines.length - 1]).toBe('APPLY every layer is deployed; changes.txt and changes.json were removed');
  });

  test("a preview whose real plan diverges: FLAG is applied, apply stops before KARR, nothing of KARR is applied, and KARR's real diff is written", async () => {
    const [flag, karr, goliath] = [plan('flag', 'changes'), preview('karr'), plan('goliath', 'changes')];
    const karrReal = plan('karr', 'changes', 'karr real, one role policy fewer');
    const difference = 'aws_iam_role_policy_attachment.node is create in the preview but absent from the real plan';
    const { outcome, events, lines, applied, diff } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr, karrReal], goliath: [goliath] },
      previewDifference: { karr: difference },
    });
    await expect(outcome).resolves.toBe('applied-more-to-review');
    expect(events).toEqual(['plan flag,karr,goliath', 'apply flag', 'write karr:preview goliath:changes', 'plan karr', 'write karr:changes goliath:changes']);
    expect([...applied]).toEqual(['flag']);
    expect(diff()).toEqual([karrReal, goliath]);
    expect(lines[lines.length - 1]).toBe(
      `APPLY stopped before KARR: the real plan differs from the reviewed preview: ${difference}. Nothing of KARR was applied. ` +
        `Its real diff is now in ${DIFF_PATH}: review it, commit it, and run apply again.`,
    );
  });

  test("review: per-layer: apply stops before the previewed KARR and writes its real diff, although it makes the preview's changes", async () => {
    const [flag, karr, goliath, karrReal] = [plan('flag', 'changes'), preview('karr'), plan('goliath', 'no-changes'), plan('karr', 'changes')];
    const { outcome, events, lines, applied, diff } = await run(reviewOf([flag, karr, goliath]), {
      review: 'per-layer',
      plans: { flag: [flag], karr: [karr, karrReal], goliath: [goliath] },
    });
    await expect(outcome).resolves.toBe('applied-more-to-review');
    expect(events).toEqual(['plan flag,karr,goliath', 'apply flag', 'write karr:preview', 'plan karr', 'write karr:changes']);
    expect([...applied]).toEqual(['flag']);
    expect(diff()).toEqual([karrReal]);
    expect(lines[lines.length - 1]).toBe(
      "APPLY stopped before KARR: the environment asks for a review of every layer's real plan (review: per-layer). Nothing of KARR was applied. " +
        `Its real diff is now in ${DIFF_PATH}: review it, commit it, and run apply again.`,
    );
  });

  test('a preview whose real plan has no changes leaves the diff without an apply', async () => {
    const [flag, karr, goliath] = [plan('flag', 'changes'), preview('karr'), plan('goliath', 'no-changes')];
    const { outcome, events, lines, applied } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr, plan('karr', 'no-changes')], goliath: [goliath] },
      previewDifference: { karr: 'aws_iam_role.node is create in the preview but absent from the real plan' },
    });
    await expect(outcome).resolves.toBe('applied');
    expect(events).toEqual(['plan flag,karr,goliath', 'apply flag', 'write karr:preview', 'plan karr', 'remove diff']);
    expect([...applied]).toEqual(['flag']);
    expect(lines).toContain('KARR planned for real: no changes, so nothing to apply; its section left changes.txt');
  });

  test("FLAG's outputs move and KARR, planned again, is still the reviewed plan: its fresh plan file is applied, and GOLIATH, in sync, stays so", async () => {
    const [flag, karr, goliath] = [plan('flag', 'changes'), plan('karr', 'changes'), plan('goliath', 'no-changes')];
    const { outcome, events, lines, applied } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr, { ...karr }], goliath: [goliath, { ...goliath }] },
      outputs: {
        flag: [{ private_subnet_ids: { value: ['subnet-1'] } }, { private_subnet_ids: { value: ['subnet-2'] } }],
        karr: [{ node_role_arn: { value: 'arn:1' } }, { node_role_arn: { value: 'arn:2' } }],
      },
    });
    await expect(outcome).resolves.toBe('applied');
    expect(events).toEqual(['plan flag,karr,goliath', 'apply flag', 'write karr:changes', 'plan karr', 'apply karr', 'remove diff', 'plan goliath']);
    expect([...applied]).toEqual(['flag', 'karr']);
    expect(lines).toContain('FLAG outputs changed (private_subnet_ids); planning KARR again, since a saved plan keeps the old ones');
    expect(lines).toContain('KARR outputs changed (node_role_arn); planning GOLIATH again, since a saved plan keeps the old ones');
  });

  test("FLAG's outputs move and KARR, planned again, now differs: apply stops after FLAG with KARR's new plan for review", async () => {
    const [flag, karr, goliath] = [plan('flag', 'changes'), plan('karr', 'changes'), plan('goliath', 'changes')];
    const karrAgain = plan('karr', 'changes', 'karr, its node group replaced');
    const moved = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => [name, { value: name }]));
    const { outcome, events, lines, applied, diff } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr, karrAgain], goliath: [goliath] },
      outputs: { flag: [{}, moved] },
    });
    await expect(outcome).resolves.toBe('applied-more-to-review');
    expect(events).toEqual(['plan flag,karr,goliath', 'apply flag', 'write karr:changes goliath:changes', 'plan karr', 'write karr:changes goliath:changes']);
    expect([...applied]).toEqual(['flag']);
    expect(diff()).toEqual([karrAgain, goliath]);
    expect(lines).toContain('FLAG outputs changed (a, b, c, d and 2 more); planning KARR again, since a saved plan keeps the old ones');
    expect(lines[lines.length - 1]).toBe(
      `APPLY stopped: FLAG's outputs changed, and KARR, planned again against them, now differs from the reviewed diff, so KARR has not been applied. ${NEXT}`,
    );
  });

  test('KARR and GOLIATH, waiting for FLAG, are planned for review once FLAG is applied, and nothing of them is applied', async () => {
    const [flag, karr, goliath] = [plan('flag', 'changes'), plan('karr', 'waiting'), plan('goliath', 'waiting')];
    const [karrFirst, goliathPreview] = [plan('karr', 'changes'), preview('goliath')];
    const { outcome, events, lines, applied, diff } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr, karrFirst], goliath: [goliath, goliathPreview] },
      outputs: { flag: [{}, { vpc_id: { value: 'vpc-1' } }] },
    });
    await expect(outcome).resolves.toBe('applied-more-to-review');
    expect(events).toEqual([
      'plan flag,karr,goliath',
      'apply flag',
      'write karr:waiting goliath:waiting',
      'plan karr,goliath',
      'write karr:changes goliath:preview',
    ]);
    expect([...applied]).toEqual(['flag']);
    expect(diff()).toEqual([karrFirst, goliathPreview]);
    expect(lines[lines.length - 1]).toBe(`APPLY stopped: KARR and GOLIATH were waiting for the layer just applied and were planned now. ${NEXT}`);
  });

  test('a diff gone stale in KARR is refused before anything is applied or written, FLAG included', async () => {
    const [flag, karr, goliath] = [plan('flag', 'changes'), plan('karr', 'changes'), plan('goliath', 'no-changes')];
    const { outcome, events, applied } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [plan('karr', 'changes', 'karr, drifted since the review')], goliath: [goliath] },
    });
    await expect(outcome).rejects.toThrow(BddaError);
    await expect(outcome).rejects.toThrow(/^The reviewed diff of dev\/dev1 is stale: KARR now plans differently/);
    expect(events).toEqual(['plan flag,karr,goliath']);
    expect(applied.size).toBe(0);
  });

  test("KARR's apply fails: FLAG stays applied, KARR and GOLIATH stay in the diff, and the next apply resumes at KARR", async () => {
    const [flag, karr, goliath] = [plan('flag', 'changes'), plan('karr', 'changes'), plan('goliath', 'changes')];
    const first = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr], goliath: [goliath] },
      failing: 'karr',
    });
    await expect(first.outcome).rejects.toThrow("KARR's apply failed");
    expect(first.events).toEqual(['plan flag,karr,goliath', 'apply flag', 'write karr:changes goliath:changes', 'apply karr']);
    expect([...first.applied]).toEqual(['flag']);
    expect(first.diff()).toEqual([karr, goliath]);

    // FLAG's section left the diff, so FLAG must now plan no changes.
    const again = await run(reviewOf(first.diff() ?? []), {
      plans: { flag: [plan('flag', 'no-changes')], karr: [karr], goliath: [goliath] },
    });
    await expect(again.outcome).resolves.toBe('applied');
    expect(again.events).toEqual(['plan flag,karr,goliath', 'apply karr', 'write goliath:changes', 'apply goliath', 'remove diff']);
  });
});

describe('the policy gate of the apply run', () => {
  const OPEN_API = {
    rule: 'PUBLIC-API-ENDPOINT',
    severity: 'error',
    layer: 'karr',
    address: 'aws_eks_cluster.cluster',
    message: 'turns on the public API endpoint, open to 0.0.0.0/0',
  } as const;
  const WAIVED: Waivers = {
    file: NO_WAIVERS.file,
    entries: [{ index: 0, rule: 'PUBLIC-API-ENDPOINT', address: 'aws_eks_cluster.*', reason: 'a demo', approvedBy: 'alice', expires: '2999-01-01' }],
    digest: 'digest of the file with the waiver',
  };
  const plans = () => [plan('flag', 'changes'), plan('karr', 'changes'), plan('goliath', 'changes')] as const;

  test('an error no waiver covers in the reviewed diff is refused before anything is planned, applied or written, naming the rule, the address and the waivers file', async () => {
    const [flag, karr, goliath] = plans();
    const { outcome, events, applied } = await run(reviewOf([flag, karr, goliath], NO_WAIVERS, [OPEN_API]), {
      plans: { flag: [flag], karr: [karr], goliath: [goliath] },
      findings: [OPEN_API],
    });
    await expect(outcome).rejects.toThrow(BddaError);
    await expect(outcome).rejects.toThrow('PUBLIC-API-ENDPOINT at KARR aws_eks_cluster.cluster');
    await expect(outcome).rejects.toThrow('add a waiver to environments/dev/dev1/waivers.yaml');
    await expect(outcome).rejects.toThrow('Nothing was applied.');
    expect(events).toEqual([]);
    expect(applied.size).toBe(0);
  });

  test('an error the rules find on the verifying plan but the review did not show (the rules changed since) is refused before anything is applied', async () => {
    const [flag, karr, goliath] = plans();
    const { outcome, events, applied } = await run(reviewOf([flag, karr, goliath]), {
      plans: { flag: [flag], karr: [karr], goliath: [goliath] },
      findings: [OPEN_API],
    });
    await expect(outcome).rejects.toThrow('PUBLIC-API-ENDPOINT at KARR aws_eks_cluster.cluster');
    expect(events).toEqual(['plan flag,karr,goliath']);
    expect(applied.size).toBe(0);
  });

  test('a waiver that covers the error, reviewed with the diff, lets apply proceed; a warning never stops it', async () => {
    const [flag, karr, goliath] = plans();
    const warning = { ...OPEN_API, rule: 'PINNED-IMAGES', severity: 'warning', layer: 'goliath', address: 'apps/v1 Deployment platform/x' } as const;
    const { outcome, applied } = await run(reviewOf([flag, karr, goliath], WAIVED, [OPEN_API]), {
      plans: { flag: [flag], karr: [karr], goliath: [goliath] },
      findings: [OPEN_API, warning],
      waivers: WAIVED,
    });
    await expect(outcome).resolves.toBe('applied');
    expect([...applied]).toEqual(['flag', 'karr', 'goliath']);
  });

  test('waivers changed since the plan make the diff stale: refused before anything is planned or applied, naming waivers.yaml', async () => {
    const [flag, karr, goliath] = plans();
    const { outcome, events, applied } = await run(reviewOf([flag, karr, goliath], NO_WAIVERS, [OPEN_API]), {
      plans: { flag: [flag], karr: [karr], goliath: [goliath] },
      findings: [OPEN_API],
      waivers: WAIVED,
    });
    await expect(outcome).rejects.toThrow(/^The reviewed diff of dev\/dev1 is stale: environments\/dev\/dev1\/waivers\.yaml changed since the plan/);
    await expect(outcome).rejects.toThrow('Run `npm run plan -- --env dev/dev1`');
    expect(events).toEqual([]);
    expect(applied.size).toBe(0);
  });
});

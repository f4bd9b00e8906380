/**
 * The table `npm run status` prints, from rows as the ledger and the committed diffs give them: an
 * environment with no diff is "in sync" only when something was deployed there.
 */
import { type EnvironmentStatus, renderStatusTable } from '../bdda/ledger/status';

const base: EnvironmentStatus = { path: 'dev/dev1', tier: 'dev', emulated: true, protected: false, undeployed: [] };
const deployed: EnvironmentStatus['lastDeployment'] = {
  operation: 'apply',
  status: 'succeeded',
  sha: '1a2b3c4d5e6f',
  branch: 'main',
  who: 'carol',
  endedAt: '2026-11-26T06:30:12.123Z',
  forced: false,
};

function row(status: EnvironmentStatus): string {
  return renderStatusTable([status]).split('\n')[1];
}

test('an environment with no diff and no deployment record is "never deployed", not "in sync"', () => {
  expect(row(base)).toMatch(/^dev\/dev1 +dev +emulated +no +never deployed +- +none recorded/);
  expect(row(base)).not.toContain('in sync');
});

test('an environment with no diff and a deployment record is "in sync"', () => {
  expect(row({ ...base, lastDeployment: deployed })).toMatch(/^dev\/dev1 +dev +emulated +no +in sync +- +2026-11-26T06:30:12Z 1a2b3c4d by carol/);
});

test('a diff not yet deployed is listed by layer whatever the ledger says', () => {
  const undeployed: EnvironmentStatus['undeployed'] = [
    { layer: 'flag', status: 'changes', counts: { add: 4, change: 0, destroy: 0 }, summary: 'FLAG: 4 to add, 0 to change, 0 to destroy.' },
  ];
  expect(row({ ...base, undeployed })).toMatch(/FLAG: 4 to add, 0 to change, 0 to destroy/);
});

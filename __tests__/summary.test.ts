/** The summary lines of changes.txt and the progress lines, built from a layer's counts. */
import { summaryLine, summaryWords } from '../bdda/diff/summary';

describe('summaries from counts', () => {
  test('a terraform layer with changes counts what it adds, changes and destroys', () => {
    expect(summaryLine('FLAG', { status: 'changes', counts: { add: 26, change: 1, destroy: 2 } })).toBe('FLAG: 26 to add, 1 to change, 2 to destroy.');
  });

  test('a Kubernetes layer with changes counts what it deletes', () => {
    expect(summaryLine('GOLIATH', { status: 'changes', counts: { add: 1, change: 0, delete: 3 } })).toBe('GOLIATH: 1 to add, 0 to change, 3 to delete.');
  });

  test('a layer with only output changes still says changes, with zero counts', () => {
    expect(summaryWords({ status: 'changes', counts: { add: 0, change: 0, destroy: 0 } })).toBe('0 to add, 0 to change, 0 to destroy');
  });

  test('a layer in sync says no changes, whatever its counts', () => {
    expect(summaryLine('KARR', { status: 'no-changes', counts: { add: 0, change: 0, destroy: 0 } })).toBe('KARR: no changes.');
  });

  test('a waiting layer (no preview could be made) names the layer it waits for', () => {
    expect(summaryLine('KARR', { status: 'waiting', counts: {}, waitsFor: 'FLAG' })).toBe('KARR: waits for FLAG to be applied.');
  });

  test('a preview counts its changes and names the layer it is planned ahead of', () => {
    expect(summaryLine('KARR', { status: 'preview', counts: { add: 16, change: 0, destroy: 0 }, waitsFor: 'FLAG' })).toBe(
      'KARR: 16 to add, 0 to change, 0 to destroy (preview until FLAG is applied).',
    );
    expect(summaryLine('GOLIATH', { status: 'preview', counts: { add: 3, change: 1, delete: 0 }, waitsFor: 'KARR' })).toBe(
      'GOLIATH: 3 to add, 1 to change, 0 to delete (preview until KARR is applied).',
    );
  });

  test('a preview without changes says no changes, and is still a preview', () => {
    expect(summaryLine('KARR', { status: 'preview', counts: { add: 0, change: 0, destroy: 0 }, waitsFor: 'FLAG' })).toBe(
      'KARR: no changes (preview until FLAG is applied).',
    );
  });

  test('the words are the line without its label and final full stop', () => {
    const plan = { status: 'changes' as const, counts: { add: 4, change: 0, destroy: 0 } };
    expect(summaryLine('FLAG', plan)).toBe(`FLAG: ${summaryWords(plan)}.`);
  });
});

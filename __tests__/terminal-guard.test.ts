/**
 * The one terminal guard (bdda/support/terminal.ts): a command that would ask for confirmation is
 * refused off a terminal unless it was given --yes; at a terminal, or with --yes, it goes on.
 */
import { BddaError } from '../config/errors';
import { isInteractive, requireYesOffTerminal } from '../bdda/support/terminal';

describe('requireYesOffTerminal', () => {
  test('off a terminal without --yes: refused, saying what and what was left untouched', () => {
    let err: unknown;
    try {
      requireYesOffTerminal({ interactive: false }, 'destroy of dev/dev2', 'Nothing was destroyed.');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BddaError);
    expect((err as Error).message).toBe('destroy of dev/dev2 needs --yes when stdin is not a terminal (as in CI). Nothing was destroyed.');
  });

  test.each([
    ['off a terminal with --yes', { interactive: false, yes: true }],
    ['at a terminal', { interactive: true }],
    ['at a terminal with --yes', { interactive: true, yes: true }],
  ])('%s: allowed', (_name, opts) => {
    expect(() => requireYesOffTerminal(opts, 'sync of dev/dev2', 'Nothing was changed.')).not.toThrow();
  });
});

describe('isInteractive', () => {
  const tty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  afterEach(() => {
    if (tty) Object.defineProperty(process.stdin, 'isTTY', tty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  });

  test('follows stdin when not told', () => {
    Object.defineProperty(process.stdin, 'isTTY', { value: true, configurable: true });
    expect(isInteractive({})).toBe(true);
    Object.defineProperty(process.stdin, 'isTTY', { value: undefined, configurable: true });
    expect(isInteractive({})).toBe(false);
  });

  test('what the caller says wins over stdin', () => {
    Object.defineProperty(process.stdin, 'isTTY', { value: true, configurable: true });
    expect(isInteractive({ interactive: false })).toBe(false);
  });
});

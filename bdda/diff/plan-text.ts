/**
 * Terraform's human plan text, for people only: the part worth showing in changes.txt, and the
 * deprecation warnings, which are shown once on the terminal instead. No decision reads this text;
 * every decision reads the typed plan (typed-plan.ts).
 */

// Lines that vary from run to run (durations, ids being refreshed, the plan file's path) or that
// say nothing about the change.
const NOISE = [
  /: Refreshing state\.\.\./,
  /: Preparing import\.\.\. \[id=/,
  /: Reading\.\.\.$/,
  /: Read complete after /,
  /^Acquiring state lock\./,
  /^Releasing state lock\./,
  /^Saved the plan to: /,
  /^To perform exactly these actions, run the following command to apply:/,
  /^\s+terraform apply "/,
];

// A diagnostic about something deprecated (terraform's "Deprecated Parameter" of the S3 backend's
// `dynamodb_table`, "Deprecated attribute", a provider's "Argument is deprecated"), and what ends
// a diagnostic block: the next diagnostic, the plan file's separator, or a section of the plan.
const DEPRECATION = /^Warning: .*[Dd]eprecat/;
const BLOCK_END = /^(Warning|Error): |^─+$|^Saved the plan to: |^(Terraform will perform|Terraform used the selected|No changes\.|Changes to Outputs:|Plan: )/;

/**
 * Plan's stdout without the noise, trimmed of blank lines at either end. Deprecation warnings are
 * left out too: they concern the configuration's shape, not the change, and would make the same
 * change read differently across terraform versions. `deprecationWarnings` gives them instead.
 */
export function reviewablePlanText(stdout: string): string {
  const lines = splitDeprecations(stdout)
    .kept.map((line) => line.replace(/\s+$/, ''))
    .filter((line) => !NOISE.some((re) => re.test(line)));
  const text = lines.join('\n').replace(/\n{3,}/g, '\n\n');
  return text.trim();
}

/**
 * The deprecation warnings of plan's stdout, one line each: the title and terraform's explanation,
 * e.g. `Deprecated Parameter: The parameter "dynamodb_table" is deprecated. Use parameter "use_lockfile" instead.`
 */
export function deprecationWarnings(stdout: string): string[] {
  return splitDeprecations(stdout).warnings.map((block) => {
    const [title, ...body] = block;
    // Leave out the "with ..."/"on ..." location and the quoted source lines, all indented.
    const words = body.filter((line) => line.trim() !== '' && !/^\s/.test(line)).join(' ');
    return `${title.replace(/^Warning: /, '')}: ${words}`.replace(/\s+/g, ' ').trim();
  });
}

function splitDeprecations(stdout: string): { kept: string[]; warnings: string[][] } {
  const kept: string[] = [];
  const warnings: string[][] = [];
  let block: string[] | undefined;
  for (const line of stdout.replace(/\r\n/g, '\n').split('\n')) {
    if (block && BLOCK_END.test(line)) block = undefined;
    if (!block && DEPRECATION.test(line)) warnings.push((block = []));
    if (block) block.push(line.replace(/\s+$/, ''));
    else kept.push(line);
  }
  return { kept, warnings };
}

/** Plain-text tables for the terminal, as kubectl prints them: columns padded, two spaces apart. */

/** The rows (the header first) as aligned columns, without trailing spaces. */
export function alignColumns(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

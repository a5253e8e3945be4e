// Markdown for bench/RESULTS.md: one section per scenario, one table each.

export interface Section {
  title: string;
  /** How it was measured, in a sentence or two. */
  method: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

export function renderTable(columns: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderReport(header: { machine: string; date: string; command: string }, sections: Section[]): string {
  const parts = [
    '# Benchmark results',
    '',
    `- Machine: ${header.machine}`,
    `- Date: ${header.date}`,
    `- Command: \`${header.command}\``,
    '',
  ];
  for (const section of sections) {
    parts.push(`## ${section.title}`, '', section.method, '', renderTable(section.columns, section.rows), '');
    for (const note of section.notes ?? []) parts.push(`- ${note}`);
    if (section.notes?.length) parts.push('');
  }
  return parts.join('\n');
}

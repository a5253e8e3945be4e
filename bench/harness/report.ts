// Markdown for bench/RESULTS.md: the run's header, the targets at a glance, then one
// section per scenario with its table and notes.

/** A goal of issue 13 ("fastest lock in Node, measured") and what this run measured against it. */
export interface Target {
  /** The goal's number in issue 13 (1–6); the table lists those first, in this order, then the others. */
  issue?: number;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Table {
  /** A bold line above the table, when a section has several. */
  caption?: string;
  columns: string[];
  rows: string[][];
}

export interface Section {
  title: string;
  /** How it was measured, in a sentence or two. */
  method: string;
  tables: Table[];
  notes?: string[];
  targets?: Target[];
}

export interface ReportHeader {
  /** Label → value lines: machine, filesystem, compiler, redis-server, date, command… */
  facts: Array<[string, string]>;
}

export function renderTable(columns: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderReport(header: ReportHeader, sections: Section[]): string {
  const parts = ['# Benchmark results', ''];
  for (const [label, value] of header.facts) parts.push(`- ${label}: ${value}`);
  parts.push('');
  const targets = sections.flatMap((section) => section.targets ?? []).sort((a, b) => (a.issue ?? Infinity) - (b.issue ?? Infinity));
  if (targets.length > 0) {
    parts.push('## Targets', '');
    parts.push(
      "Issue 13's goals (numbered), then the other goals this run measures; each a ratio measured side by side in this run (a quick or partial run measures less, and only what it ran).",
      '',
    );
    parts.push(renderTable(['#', 'goal', 'measured', ''], targets.map((t) => [t.issue === undefined ? '–' : String(t.issue), t.goal, t.measured, t.met ? 'met' : '**missed**'])), '');
  }
  for (const section of sections) {
    parts.push(`## ${section.title}`, '', section.method, '');
    for (const table of section.tables) {
      if (table.caption) parts.push(`**${table.caption}**`, '');
      parts.push(renderTable(table.columns, table.rows), '');
    }
    for (const note of section.notes ?? []) parts.push(`- ${note}`);
    if (section.notes?.length) parts.push('');
  }
  return parts.join('\n');
}

/** The section of a scenario that threw: the run goes on, the failure is on the page. */
export function failedSection(title: string, error: unknown): Section {
  let message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  for (let cause = (error as Error | undefined)?.cause; cause; cause = (cause as Error).cause) {
    message += `\ncaused by: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  return {
    title,
    method: `**This scenario failed**: \`${message.split('\n')[0]}\``,
    tables: [],
    notes: message.split('\n').slice(1).filter((line) => line.startsWith('caused by') || line.includes('/bench/')).slice(0, 8).map((line) => `\`${line.trim()}\``),
  };
}

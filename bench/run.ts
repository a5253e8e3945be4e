// `npm run bench [-- --quick] [-- --only=<scenario>]`: runs the scenarios side by side
// and writes bench/RESULTS.md (quick runs print only).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './harness/machine.js';
import { renderReport, type Section } from './harness/report.js';
import { Workspace } from './harness/workspace.js';
import { handoff } from './scenarios/handoff.js';
import { uncontended } from './scenarios/uncontended.js';

const scenarios = { uncontended, handoff };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const selected = Object.entries(scenarios).filter(([name]) => !only || only.split(',').includes(name));

const workspace = new Workspace();
const sections: Section[] = [];
try {
  for (const [name, scenario] of selected) {
    process.stderr.write(`${name}...\n`);
    sections.push(await scenario({ quick, workspace }));
  }
} finally {
  workspace.dispose();
}

const report = renderReport(
  { machine: describeMachine(), date: new Date().toISOString().slice(0, 10), command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}` },
  sections,
);
process.stdout.write(`${report}\n`);
if (!quick && !only) writeFileSync(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), report);

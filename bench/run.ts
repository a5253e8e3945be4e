// `npm run bench [-- --quick] [-- --only=<scenario>,…]`: runs the scenarios side by side
// and writes bench/RESULTS.md (a full run only; quick and partial runs print).
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createContext, type Scenario } from './harness/context.js';
import { describeFilesystem, describeMachine, describePeers } from './harness/machine.js';
import { failedSection, renderReport, type Section } from './harness/report.js';
import { formatNumber } from './harness/stats.js';
import { Workspace } from './harness/workspace.js';
import { dropUnavailable } from './libraries/index.js';
import { contention } from './scenarios/contention.js';
import { cpu } from './scenarios/cpu.js';
import { databases } from './scenarios/databases.js';
import { handoff } from './scenarios/handoff.js';
import { instrumentation } from './scenarios/instrumentation.js';
import { memcachedZookeeper } from './scenarios/memcached-zookeeper.js';
import { physicalLimit } from './scenarios/physical-limit.js';
import { redis } from './scenarios/redis.js';
import { scale } from './scenarios/scale.js';
import { semaphores } from './scenarios/semaphores.js';
import { threadpool } from './scenarios/threadpool.js';
import { uncontended } from './scenarios/uncontended.js';

const scenarios: Record<string, Scenario> = {
  'physical-limit': physicalLimit,
  uncontended,
  instrumentation,
  handoff,
  contention,
  threadpool,
  cpu,
  redis,
  semaphores,
  databases,
  'memcached-zookeeper': memcachedZookeeper,
  scale,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const unknown = only?.filter((name) => !(name in scenarios)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}\n`);
  process.exit(2);
}

const workspace = new Workspace();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    workspace.dispose();
    process.exit(130);
  });
}
process.once('exit', () => workspace.dispose());

const unavailable = await dropUnavailable();
const context = createContext(workspace, quick);
const filesystem = describeFilesystem(workspace.dir);
const started = performance.now();
const loadBefore = loadavg()[0]!;
const sections: Section[] = [];
let failures = 0;
try {
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (only && !only.includes(name)) continue;
    const scenarioStarted = performance.now();
    process.stderr.write(`${name}…`);
    try {
      sections.push(await scenario(context));
    } catch (error) {
      failures++;
      sections.push(failedSection(name, error));
      process.stderr.write(` FAILED: ${(error as Error).message}`);
    }
    process.stderr.write(` ${formatNumber((performance.now() - scenarioStarted) / 1e3, 1)} s\n`);
  }
} finally {
  workspace.dispose();
}

const redisServer = await context.redisIfStarted();
const { memcached, zookeeper } = await context.serversStarted();
const report = renderReport(
  {
    facts: [
      ['Machine', describeMachine()],
      ['Filesystem', filesystem],
      ['Peers', `${describePeers()} (fs-ext and os-lock compile from source at install with node-gyp)`],
      ...(redisServer ? ([['Redis', `redis-server ${redisServer.version} started by the bench on 127.0.0.1:${redisServer.port}, no persistence`]] as Array<[string, string]>) : []),
      ...(memcached ? ([['Memcached', `memcached ${memcached.version} started by the bench on 127.0.0.1:${memcached.port}`]] as Array<[string, string]>) : []),
      ...(zookeeper ? ([['ZooKeeper', `ZooKeeper ${zookeeper.version} (standalone) started by the bench on 127.0.0.1:${zookeeper.port}`]] as Array<[string, string]>) : []),
      ...(unavailable.length > 0 ? ([['Not measured', unavailable.join('; ')]] as Array<[string, string]>) : []),
      ['Date', new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'],
      ['Command', `\`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\``],
      ['Duration', `${formatNumber((performance.now() - started) / 1e3)} s`],
      // Other work on a 2-vCPU machine moves every figure: say how busy it was.
      ['Load average (1 min) before / after', `${formatNumber(loadBefore, 2)} / ${formatNumber(loadavg()[0]!, 2)} (the bench itself keeps about 1 busy)`],
      ['Reading', 'one run on a shared 2-vCPU VM, where absolute figures move by up to a third from one run to the next (other work, vCPU wake-ups): compare rows within a table, measured side by side, rather than figures across runs'],
    ],
  },
  sections,
);
process.stdout.write(`${report}\n`);
if (!quick && !only) writeFileSync(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), report);
process.exitCode = failures > 0 ? 1 : 0;

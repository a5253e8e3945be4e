// Child processes run plain JavaScript: the bench's child scripts (and the harness and
// library modules they import) are transpiled once per run with TypeScript's
// transpileModule into bench/.work/js/, instead of every child loading tsx, which cost
// about 0.4 s of CPU per child; a quick run starts some fifty children.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type TypeScript from 'typescript';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(benchDir, '.work', 'js');
// The folders child scripts import from, each transpiled to outDir/<folder>.
const FOLDERS = ['children', 'harness', 'libraries'];

let built: string | undefined;

/** The path of `script`'s JavaScript, transpiling the child folders on first use. */
export function childScriptPath(script: string): string {
  built ??= build();
  return join(built, 'children', `${script}.js`);
}

function build(): string {
  // Loaded here, not at import: children import this module's neighbours, and loading
  // TypeScript costs about a second.
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  // The compiled library, imported as '../../dist/…' from bench/<folder>/, now from two
  // levels deeper: point those imports at it absolutely. Packages resolve as before
  // (bench/.work/js/… still lies inside the project, above node_modules).
  const dist = pathToFileURL(join(benchDir, '..', 'dist')).href;
  for (const folder of FOLDERS) {
    for (const file of readdirSync(join(benchDir, folder))) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const source = readFileSync(join(benchDir, folder, file), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
      });
      const target = join(outDir, folder, file.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText.replaceAll("from '../../dist/", `from '${dist}/`).replaceAll("import('../../dist/", `import('${dist}/`));
    }
  }
  return outDir;
}

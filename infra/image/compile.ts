import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// `node --import tsx infra/image/compile.ts`, run by infra/image/build.sh: type-checks and compiles
// every runtime workspace's src/ (tsconfig.build.json) to <workspace>/dist/, which the packages
// export under the `celeriac-dist` condition. Sources import relative modules without an extension
// (moduleResolution Bundler, as tsx and vitest read them); Node's ESM loader needs the file name,
// so the emit rewrites each relative specifier to the .js file it compiles to.

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(REPO_ROOT, 'tsconfig.build.json');

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: () => REPO_ROOT,
  getNewLine: () => '\n',
};

function fail(message: string): never {
  process.stderr.write(`compile: ${message}\n`);
  process.exit(1);
}

/** The workspace (nearest package.json) and the path under its src/ of one source file. */
function placeInWorkspace(sourceFile: string): { workspace: string; underSrc: string } {
  let dir = dirname(sourceFile);
  while (dir.startsWith(REPO_ROOT) && dir !== REPO_ROOT) {
    if (existsSync(join(dir, 'package.json'))) {
      const underSrc = relative(join(dir, 'src'), sourceFile);
      if (underSrc.startsWith('..')) break;
      return { workspace: dir, underSrc };
    }
    dir = dirname(dir);
  }
  fail(`${relative(REPO_ROOT, sourceFile)} is not under a workspace's src/: runtime code imports it?`);
}

/** The specifier of the compiled file a relative import names; bare specifiers are left to exports. */
function emittedSpecifier(fromFile: string, specifier: string): string {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return specifier;
  if (/\.(c|m)?js$|\.json$/.test(specifier)) return specifier;
  const target = resolve(dirname(fromFile), specifier);
  if (existsSync(`${target}.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.ts'))) return `${specifier}/index.js`;
  fail(`${relative(REPO_ROOT, fromFile)}: cannot resolve '${specifier}' to a .ts file`);
}

/** Runs after the TypeScript-to-JavaScript step, so type-only imports are already gone. */
function rewriteRelativeSpecifiers(context: ts.TransformationContext): ts.Transformer<ts.SourceFile> {
  const { factory } = context;
  return (sourceFile) => {
    const literal = (node: ts.Expression): ts.StringLiteral | undefined => {
      if (!ts.isStringLiteral(node)) return undefined;
      const rewritten = emittedSpecifier(sourceFile.fileName, node.text);
      return rewritten === node.text ? undefined : factory.createStringLiteral(rewritten, true);
    };
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isImportDeclaration(node)) {
        const specifier = literal(node.moduleSpecifier);
        if (specifier)
          return factory.updateImportDeclaration(
            node,
            node.modifiers,
            node.importClause,
            specifier,
            node.attributes,
          );
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        const specifier = literal(node.moduleSpecifier);
        if (specifier)
          return factory.updateExportDeclaration(
            node,
            node.modifiers,
            node.isTypeOnly,
            node.exportClause,
            specifier,
            node.attributes,
          );
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [first, ...rest] = node.arguments;
        const specifier = first && literal(first);
        if (specifier)
          return factory.updateCallExpression(node, node.expression, undefined, [specifier, ...rest]);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitEachChild(sourceFile, visit, context);
  };
}

const config = ts.getParsedCommandLineOfConfigFile(CONFIG, undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) =>
    fail(ts.formatDiagnostic(diagnostic, formatHost).trimEnd()),
});
if (!config) fail(`cannot read ${CONFIG}`);
if (config.errors.length > 0) fail(ts.formatDiagnostics(config.errors, formatHost));

const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length > 0) fail(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));

// A stale dist/ could keep a module whose source was deleted: start every workspace's from empty.
const workspaces = new Set(config.fileNames.map((file) => placeInWorkspace(resolve(file)).workspace));
for (const workspace of workspaces) rmSync(join(workspace, 'dist'), { recursive: true, force: true });

let written = 0;
const result = program.emit(
  undefined,
  (fileName, text, _bom, _onError, sources) => {
    const source = sources?.[0];
    if (!source || sources.length !== 1) fail(`${fileName} has no single source file`);
    const { workspace, underSrc } = placeInWorkspace(resolve(source.fileName));
    const out = join(workspace, 'dist', underSrc.replace(/\.ts$/, '.js'));
    if (!fileName.endsWith('.js')) fail(`unexpected emit ${fileName}`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    written += 1;
  },
  undefined,
  false,
  { after: [rewriteRelativeSpecifiers] },
);
if (result.emitSkipped || result.diagnostics.length > 0)
  fail(ts.formatDiagnostics(result.diagnostics, formatHost) || 'emit skipped');
const names = [...workspaces].map((workspace) => relative(REPO_ROOT, workspace).split(sep).join('/'));
process.stdout.write(`compile: ${written} modules into dist/ of ${names.join(', ')}\n`);

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * The Python parser: tree-sitter's runtime and its Python grammar, both WebAssembly. They load
 * once, asynchronously (about 20 ms), and only when a text mentions Keras: a Python file without
 * Keras never pays for them. The bundles find the `.wasm` files beside themselves in dist/ (what
 * the packages ship); the tests, run from out/, find them in node_modules.
 */

const RUNTIME = 'web-tree-sitter.wasm';
const GRAMMAR = 'tree-sitter-python.wasm';

let loading: Promise<Parser> | undefined;

function wasmFile(file: string, packagePath: string): string {
  const beside = path.join(__dirname, file);
  if (existsSync(beside)) return beside;
  return require.resolve(packagePath);
}

/** The shared parser; the first call loads the WebAssembly. */
export function pythonParser(): Promise<Parser> {
  loading ??= (async () => {
    const runtime = wasmFile(RUNTIME, 'web-tree-sitter/web-tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtime });
    const language = await Language.load(wasmFile(GRAMMAR, 'tree-sitter-python/tree-sitter-python.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}

/**
 * Cheap test run before any parsing: the reader only looks at texts that name Keras, or call a bare
 * `Sequential(` (a tutorial snippet pasted without its imports; the reader takes bare Keras class
 * names too). `torch.nn.Sequential(` has a dot before it and stays out.
 */
export function mentionsKeras(text: string): boolean {
  return text.includes('keras') || BARE_SEQUENTIAL.test(text);
}

const BARE_SEQUENTIAL = /(?<![\w.])Sequential\s*\(/;

/**
 * Notebook magics (`%matplotlib inline`, `!pip install ...`) are not Python: blanked with spaces
 * so the parser sees valid lines and every offset stays where it was.
 */
export function blankMagics(text: string): string {
  return text.replace(/^([ \t]*)([%!][^\n]*)/gm, (_m, indent: string, magic: string) => indent + ' '.repeat(magic.length));
}

export function parsePython(parser: Parser, text: string, previous?: Tree): Tree | null {
  return parser.parse(blankMagics(text), previous);
}

export type { Tree };

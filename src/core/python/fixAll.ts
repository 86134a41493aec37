import { applyAll, changedSpan, preferredFix } from '../layerEdits';
import type { AnalyzeOptions } from '../types';
import { analyzePython } from './analyze';
import { analyzeNotebook, type CellTextEdit, type CodeCell } from './notebook';

/**
 * "Fix all" on Python: the fix of every diagnostic with one of `codes`, one after another (each
 * fix can reveal the next problem down a stack), as the rule for model files does.
 */

/** A file's text after every fix: one replacement (offset and length in the original), or undefined. */
export async function fixAllPython(text: string, codes: string[], options?: AnalyzeOptions): Promise<{ offset: number; length: number; newText: string } | undefined> {
  let current = text;
  for (let round = 0; round < 1000; round++) {
    const d = (await analyzePython(current, options)).flatMap((m) => m.diagnostics).find((x) => codes.includes(x.code) && x.fixes?.length);
    if (!d) break;
    current = applyAll(current, preferredFix(d).edits);
  }
  return changedSpan(text, current);
}

/**
 * The same for a notebook: its code cells are read together (as for the diagnostics), and each fix
 * edits the cell it names. One replacement per changed cell, offsets in that cell's original text.
 */
export async function fixAllNotebook(cells: CodeCell[], codes: string[], options?: AnalyzeOptions): Promise<{ cell: number; offset: number; length: number; newText: string }[]> {
  // Offsets of the analysis are in the cells' text with \n line ends (as joinCells reads them).
  const original = cells.map((c) => ({ index: c.index, text: c.text.replace(/\r\n?/g, '\n') }));
  const current = original.map((c) => ({ ...c }));
  for (let round = 0; round < 1000; round++) {
    const d = (await analyzeNotebook(current, undefined, options)).flatMap((m) => m.diagnostics).find((x) => codes.includes(x.code) && x.fixes?.length);
    if (!d) break;
    const edits = preferredFix(d).edits as CellTextEdit[];
    for (const cell of current) cell.text = applyAll(cell.text, edits.filter((e) => e.cell === cell.index));
  }
  return current.flatMap((c, i) => {
    const changed = changedSpan(original[i].text, c.text);
    return changed ? [{ cell: c.index, ...changed }] : [];
  });
}

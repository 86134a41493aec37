import type { AnalyzeOptions, Diagnostic, Fix, Range, TextEdit } from '../types';
import { analyzePython, type PythonModelAnalysis, type PythonSession } from './analyze';

/**
 * Jupyter notebooks: the code cells, in order, are read as one Python text (so a constant from an
 * earlier cell is known in a later one), and every range is mapped back into its cell.
 */

export interface CodeCell {
  /** The cell's index in the notebook (all cells counted, as Jupyter and VS Code do). */
  index: number;
  text: string;
}

export type CellRange = Range & { cell: number };
/** A fix's edit in a notebook: offset and range in the cell it names. */
export type CellTextEdit = TextEdit & { cell: number };
export type CellDiagnostic = Omit<Diagnostic, 'fixes'> & { cell: number; fixes?: (Omit<Fix, 'edits'> & { edits: CellTextEdit[] })[] };

export interface NotebookModelAnalysis extends Omit<PythonModelAnalysis, 'diagnostics' | 'range'> {
  /** The cell of the `Sequential(...)` call, and the call's range in it. */
  cell: number;
  range: Range;
  diagnostics: CellDiagnostic[];
  /** The cell of each layer (`layers[i].range` is in that cell). */
  layerCells: number[];
}

/** The code cells of an `.ipynb` file's text; throws a readable Error when it is not a notebook. */
export function notebookCodeCells(json: string): CodeCell[] {
  let nb: { cells?: { cell_type?: string; source?: string | string[] }[] };
  try {
    nb = JSON.parse(json);
  } catch (e) {
    throw new Error(`not a Jupyter notebook (invalid JSON: ${(e as Error).message})`);
  }
  if (!nb || !Array.isArray(nb.cells)) throw new Error('not a Jupyter notebook (no "cells" list)');
  return nb.cells.flatMap((c, index) => (c.cell_type === 'code' ? [{ index, text: Array.isArray(c.source) ? c.source.join('') : String(c.source ?? '') }] : []));
}

/** The cells joined by newlines, with the line each cell starts on. */
export function joinCells(cells: CodeCell[]): { text: string; firstLines: number[]; firstOffsets: number[] } {
  const firstLines: number[] = [];
  const firstOffsets: number[] = [];
  let line = 0;
  let offset = 0;
  const parts: string[] = [];
  for (const c of cells) {
    firstLines.push(line);
    firstOffsets.push(offset);
    const text = c.text.replace(/\r\n?/g, '\n');
    parts.push(text);
    line += text.split('\n').length;
    offset += text.length + 1;
  }
  return { text: parts.join('\n'), firstLines, firstOffsets };
}

export async function analyzeNotebook(cells: CodeCell[], session?: PythonSession, options: AnalyzeOptions = {}): Promise<NotebookModelAnalysis[]> {
  const { text, firstLines, firstOffsets } = joinCells(cells);
  const models = session ? await session.analyze(text, options) : await analyzePython(text, options);
  const toCell = (r: Range): CellRange => {
    let i = firstLines.length - 1;
    while (i > 0 && firstLines[i] > r.start.line) i--;
    const first = firstLines[i] ?? 0;
    const endLine = Math.max(r.start.line, Math.min(r.end.line, (firstLines[i + 1] ?? Infinity) - 1));
    return {
      cell: cells[i]?.index ?? 0,
      start: { line: r.start.line - first, character: r.start.character },
      end: { line: endLine - first, character: endLine === r.end.line ? r.end.character : Number.MAX_SAFE_INTEGER },
    };
  };
  const plain = ({ cell: _cell, ...range }: CellRange): Range => range;
  return models.map((m) => {
    const at = toCell(m.range);
    const layerRanges = m.layers.map((l) => toCell(l.range));
    return {
      ...m,
      cell: at.cell,
      range: plain(at),
      layers: m.layers.map((l, i) => ({ ...l, range: plain(layerRanges[i]) })),
      layerCells: layerRanges.map((r) => r.cell),
      callSite: m.callSite && plain(toCell(m.callSite)),
      diagnostics: m.diagnostics.map((d) => {
        const r = toCell(d.range);
        const fixes = d.fixes?.map((f) => ({
          ...f,
          edits: f.edits.map((e) => {
            const er = toCell(e.range);
            const i = cells.findIndex((c) => c.index === er.cell);
            return { ...e, offset: e.offset - (firstOffsets[i] ?? 0), range: plain(er), cell: er.cell };
          }),
        }));
        return { ...d, cell: r.cell, range: plain(r), related: d.related?.map((x) => ({ ...x, range: plain(toCell(x.range)) })), fixes };
      }),
    };
  });
}

/** Reading the user's files: whole text, CSV with line numbers, JSON Lines. */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { deepSpans, MAX_NESTING, quote, quoteValue } from '../core/json';
import { DataError, FileRef, dataError, fsError } from './errors';

export function fileRef(modelDir: string, p: string): FileRef {
  return { display: p, abs: path.resolve(modelDir, p) };
}

export function childRef(parent: FileRef, ...parts: string[]): FileRef {
  return { display: path.join(parent.display, ...parts), abs: path.join(parent.abs, ...parts) };
}

/** The file's text (UTF-8, without a BOM). An empty file is an error. */
export function readText(file: FileRef, what = 'data file'): string {
  let text: string;
  try {
    text = fs.readFileSync(file.abs, 'utf8');
  } catch (e) {
    throw fsError(file, e, what);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) throw dataError(file, undefined, `the ${what} is empty. Add samples to it, or point data.path at the right file.`);
  return text;
}

export interface CsvTable {
  header: string[];
  rows: string[][];
  /** 1-based line on which each row starts. */
  lines: Int32Array;
}

/** A CSV file with a header row, parsed by csv-parse. Malformed CSV is a DataError with its line. */
export function readCsv(file: FileRef, text = readText(file, 'CSV file')): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const err = e as Error & { code?: string; lines?: number };
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
      const hint =
        err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || err.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
          ? 'Every row needs as many fields as the header; quote fields that contain commas.'
          : 'Check the quoting: a field with commas, quotes or line breaks must be in double quotes, with inner quotes doubled ("").';
      throw dataError(file, err.lines, `this is not valid CSV (${err.message.replace(/\s+/g, ' ')}). ${hint}`);
    }
    throw dataError(file, undefined, `cannot parse the CSV: ${err.message}`);
  }
  if (records.length === 0) throw dataError(file, undefined, 'the CSV file is empty. It needs a header row and one row per sample.');
  const header = records[0].record.map((h) => h.trim());
  if (records.length === 1) throw dataError(file, 2, `the CSV file has a header row (${header.join(', ')}) but no data rows. Add one row per sample.`);
  const rows: string[][] = new Array(records.length - 1);
  const lines = new Int32Array(records.length - 1);
  for (let i = 1; i < records.length; i++) {
    const { record, info } = records[i];
    let inner = 0; // line breaks inside quoted fields: the record starts that many lines earlier
    for (const f of record) for (let j = f.indexOf('\n'); j >= 0; j = f.indexOf('\n', j + 1)) inner++;
    rows[i - 1] = record;
    lines[i - 1] = info.lines - inner;
  }
  return { header, rows, lines };
}

/** Index of a header column, or a DataError that lists the columns there are. */
export function columnIndex(file: FileRef, header: string[], name: string, key: string): number {
  const i = header.indexOf(name);
  if (i < 0) {
    throw dataError(file, 1, `the header has no column "${name}" (data.${key}). Its columns are: ${header.map((h) => quote(h)).join(', ')}. Rename the column, or set data.${key} to one of them.`);
  }
  return i;
}

/** JSON Lines: one object per non-blank line. */
export function readJsonl(file: FileRef): { objects: Record<string, unknown>[]; lines: Int32Array } {
  const text = readText(file, 'JSONL file');
  const objects: Record<string, unknown>[] = [];
  const lines: number[] = [];
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim().length === 0) continue;
    // Checked before parsing: every later reader of the value (messages, labels) may recurse.
    const deep = deepSpans(line, MAX_NESTING)[0];
    if (deep) {
      const where = deep.topKey !== undefined ? `the value of ${quote(deep.topKey)}` : 'the line';
      throw dataError(file, lineNo, `${where} is nested more than ${MAX_NESTING} levels deep (from column ${deep.start + 1}). Each line must be one flat JSON object, e.g. {"text": "...", "label": "..."}.`);
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw dataError(file, lineNo, `invalid JSON (${(e as Error).message}). Each line must be one JSON object, e.g. {"text": "...", "label": "..."}.`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw dataError(file, lineNo, `expected a JSON object such as {"text": "...", "label": "..."}, found ${Array.isArray(value) ? 'an array' : quoteValue(value)}.`);
    }
    objects.push(value as Record<string, unknown>);
    lines.push(lineNo);
  }
  return { objects, lines: Int32Array.from(lines) };
}

/** Subfolders of a folder (sorted), or a DataError when it cannot be read. */
export function listDir(folder: FileRef, what: string): fs.Dirent[] {
  try {
    return fs.readdirSync(folder.abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    throw fsError(folder, e, what);
  }
}

export function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export { DataError };

/**
 * Data errors: what is wrong with the user's data and what to do about it, with the file and the
 * 1-based line when there is one. The message already names both (`data/train.csv, line 7: ...`),
 * so callers print `message` alone; `file` (absolute) and `line` are there for editors to link.
 */
export class DataError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

/** A file as the user wrote it (relative to the model file) plus its absolute path. */
export interface FileRef {
  /** For messages: the path as written in the model file, or a readable name for built-in data. */
  display: string;
  /** Absolute path, for `DataError.file`. */
  abs: string;
}

/** `data/train.csv, line 7: <what>` (or just the file when there is no line). */
export function dataError(file: FileRef | undefined, line: number | undefined, message: string): DataError {
  const where = file ? (line !== undefined ? `${file.display}, line ${line}: ` : `${file.display}: `) : '';
  return new DataError(where + message, file?.abs, line);
}

/** Turns a Node file-system error into a DataError that says what to check. */
export function fsError(file: FileRef, err: unknown, what = 'data file'): DataError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const abs = file.abs;
  switch (code) {
    case 'ENOENT':
      return dataError(file, undefined, `cannot read the ${what}: ${abs} does not exist. Check data.path (paths are relative to the model file).`);
    case 'EISDIR':
      return dataError(file, undefined, `cannot read the ${what}: ${abs} is a folder, not a file. Point the path at a file, or use source "folder" for a folder per class.`);
    case 'ENOTDIR':
      return what.includes('folder')
        ? dataError(file, undefined, `cannot read the ${what}: ${abs} is a file, not a folder. Source "folder" needs a folder with one subfolder per class.`)
        : dataError(file, undefined, `cannot read the ${what}: a part of ${abs} is a file, not a folder. Check data.path (paths are relative to the model file).`);
    case 'EACCES':
    case 'EPERM':
      return dataError(file, undefined, `cannot read the ${what}: permission denied for ${abs}. Make the file readable.`);
    default:
      return dataError(file, undefined, `cannot read the ${what} ${abs}: ${(err as Error)?.message ?? String(err)}.`);
  }
}

/** 12,345 */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

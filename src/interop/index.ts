/**
 * Keras interop: export a model file to a self-contained Keras 3 project (with a run's trained weights),
 * import Keras and TF.js models. `exportKeras` and `importModel` are pure; `files` reads files.
 */
export { exportKeras, kerasModelCode, py, REQUIREMENTS, type DataCopy, type ExportKerasOptions, type ExportKerasResult } from './exportKeras';
export { importModel, type ImportKind, type ImportResult } from './importModel';
export { defaultImportPath, defaultProjectDir, exportKerasProject, importFile, InteropFileError, packageRoot, readImportSource, type ExportFileOptions, type ExportProjectResult, type FileImportResult } from './files';
export { readZipEntry, zipEntries } from './zip';

/**
 * Keras interop: export a model file to a runnable Keras 3 script (with a run's trained weights),
 * import Keras and TF.js models. `exportKeras` and `importModel` are pure; `files` reads files.
 */
export { exportKeras, kerasModelCode, py, type DistributionStrategy, type ExportKerasOptions, type ExportKerasResult } from './exportKeras';
export { importModel, type ImportKind, type ImportResult } from './importModel';
export { defaultImportPath, defaultScriptPath, exportKerasFile, importFile, InteropFileError, packageRoot, readImportSource, type ExportFileOptions } from './files';
export { readZipEntry, zipEntries } from './zip';

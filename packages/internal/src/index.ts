export { BandError, type BandErrorOptions, hintOf } from './band-error.js';
export { findExecutable, isExecutableFile } from './executables.js';
export { makeOwnedTempDir, sweepOwnedTempDirs } from './owned-temp-dir.js';
export {
  isProcessAlive,
  listDescendantStats,
  listProcessesWithEnvironment,
  listProcStats,
  parseProcStat,
  type ProcStat,
  readProcStat,
} from './proc.js';

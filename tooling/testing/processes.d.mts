export interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
  /** `marker`, or `cwd <dir>` */
  why: string;
}
export function ancestorsOf(pid: number): Set<number>;
export function findProcesses(options: { marker?: string; dirs?: string[] }): ProcessInfo[];
export function descendantsOf(rootPid: number): Array<{ pid: number; cmdline: string }>;

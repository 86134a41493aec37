import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MemoryLimit } from '../core/memory';

/**
 * The memory a process started here may use: the tightest cgroup limit of this process's cgroup and
 * its ancestors (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`), else the machine's physical
 * memory. Containers and CI runners set such limits far below the machine's memory.
 */

/** v1 writes "no limit" as a huge number (2^63 rounded to the page size). */
const UNLIMITED = 2 ** 60;

function readLimit(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    const n = Number(text);
    return text !== 'max' && Number.isFinite(n) && n > 0 && n < UNLIMITED ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The cgroup folders to look at for one hierarchy: the process's own path and every ancestor up to the mount point. */
function candidates(mount: string, own: string | undefined): string[] {
  const dirs: string[] = [];
  for (let p = own ?? '/'; ; p = path.posix.dirname(p)) {
    dirs.push(path.join(mount, p));
    if (p === '/' || p === '.' || p === '') break;
  }
  return dirs;
}

export function cgroupMemoryLimit(root = '/sys/fs/cgroup', procCgroup = '/proc/self/cgroup'): MemoryLimit | undefined {
  let lines: string[] = [];
  try {
    lines = readFileSync(procCgroup, 'utf8').split('\n');
  } catch {
    // not Linux, or no /proc: no cgroup
  }
  const v2 = lines.find((l) => l.startsWith('0::'))?.slice(3);
  const v1 = lines.map((l) => l.split(':')).find((parts) => parts[1]?.split(',').includes('memory'))?.[2];
  let best: MemoryLimit | undefined;
  const consider = (file: string) => {
    const bytes = readLimit(file);
    if (bytes !== undefined && (!best || bytes < best.bytes)) best = { bytes, source: `the cgroup limit in ${file}` };
  };
  for (const dir of candidates(root, v2)) consider(path.join(dir, 'memory.max'));
  for (const dir of candidates(path.join(root, 'memory'), v1)) consider(path.join(dir, 'memory.limit_in_bytes'));
  return best;
}

/** The cgroup limit where one is set and below the machine's memory, else the machine's physical memory. */
export function availableMemory(): MemoryLimit {
  const machine: MemoryLimit = { bytes: os.totalmem(), source: "the machine's physical memory" };
  const cgroup = cgroupMemoryLimit();
  return cgroup && cgroup.bytes < machine.bytes ? cgroup : machine;
}

/**
 * Resident memory of the processes a benchmark started, read from /proc (Linux): the api may run
 * as a node cluster (a primary and its workers), so a service's memory is the sum over the
 * process tree of the pid the bench spawned, and each process is listed too.
 */
import * as fs from 'node:fs';

/** One process of a service's tree. */
export interface ProcessMemory {
  pid: number;
  /** `Name:` of /proc/<pid>/status (e.g. `node`). */
  name: string;
  /** VmRSS: resident now, MiB. */
  rssMb: number;
  /** VmHWM: the highest resident size the process reached, MiB. */
  peakRssMb: number;
}

export interface TreeMemory {
  processes: ProcessMemory[];
  /** Sum of VmRSS over the tree, MiB. */
  rssMb: number;
  /** Sum of VmHWM over the tree, MiB (each process's own peak; they need not coincide). */
  peakRssMb: number;
}

/** Per-process target (issue 13): ≤ 1 GB resident at the benchmark scale. */
export const RSS_TARGET_MB = 1024;

/** A `Key:   <n> kB` field of /proc/<pid>/status in MiB; null when the field is absent. */
export function statusFieldMb(status: string, field: 'VmRSS' | 'VmHWM'): number | null {
  const m = new RegExp(`^${field}:\\s*(\\d+)\\s*kB`, 'm').exec(status);
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
}

/** The parent pid from /proc/<pid>/stat (field 4; the command in field 2 may hold spaces and parens). */
export function parentPid(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const ppid = Number(stat.slice(close + 2).split(' ')[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** `root` and every descendant of it, parents before children, from a pid → parent pid map. */
export function processTree(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []).sort((a, b) => a - b));
  }
  return out;
}

function readProc(pid: number | string, file: string): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null; // exited meanwhile
  }
}

/** Memory of `pid` and its descendants now; empty when the process is gone. */
export function treeMemory(pid: number | undefined): TreeMemory {
  const processes: ProcessMemory[] = [];
  if (pid !== undefined && readProc(pid, 'status') !== null) {
    const parents = new Map<number, number>();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const ppid = parentPid(readProc(entry, 'stat') ?? '');
      if (ppid !== null) parents.set(Number(entry), ppid);
    }
    for (const p of processTree(pid, parents)) {
      const status = readProc(p, 'status');
      if (status === null) continue;
      processes.push({
        pid: p,
        name: /^Name:\s*(.+)$/m.exec(status)?.[1] ?? '?',
        rssMb: statusFieldMb(status, 'VmRSS') ?? 0,
        peakRssMb: statusFieldMb(status, 'VmHWM') ?? 0,
      });
    }
  }
  const sum = (f: (p: ProcessMemory) => number) =>
    Math.round(processes.reduce((a, p) => a + f(p), 0) * 10) / 10;
  return { processes, rssMb: sum((p) => p.rssMb), peakRssMb: sum((p) => p.peakRssMb) };
}

/** Whether every process stayed within the per-process target (by its peak). */
export function withinRssTarget(t: TreeMemory, targetMb = RSS_TARGET_MB): boolean {
  return t.processes.length > 0 && t.processes.every((p) => p.peakRssMb <= targetMb);
}

/** `api: 312.4 MiB (peak 340.1) in 1 process: pid 123 node 312.4 (peak 340.1)`. */
export function describeTreeMemory(label: string, t: TreeMemory): string {
  if (!t.processes.length) return `${label}: not running`;
  const each = t.processes.map((p) => `pid ${p.pid} ${p.name} ${p.rssMb} (peak ${p.peakRssMb})`).join(', ');
  return `${label}: RSS ${t.rssMb} MiB (peak ${t.peakRssMb}) in ${t.processes.length} process${t.processes.length > 1 ? 'es' : ''}: ${each}`;
}

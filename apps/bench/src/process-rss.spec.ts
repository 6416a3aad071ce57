import {
  describeTreeMemory,
  parentPid,
  processTree,
  statusFieldMb,
  treeMemory,
  withinRssTarget,
} from './process-rss';

const status = [
  'Name:\tnode',
  'Umask:\t0022',
  'State:\tS (sleeping)',
  'VmPeak:\t 1234567 kB',
  'VmHWM:\t  204800 kB',
  'VmRSS:\t  102400 kB',
  'RssAnon:\t   90000 kB',
].join('\n');

describe('process memory from /proc', () => {
  it('reads VmRSS and VmHWM in MiB, and null for a field a status lacks', () => {
    expect(statusFieldMb(status, 'VmRSS')).toBe(100);
    expect(statusFieldMb(status, 'VmHWM')).toBe(200);
    expect(statusFieldMb('Name:\tkthreadd\nState:\tS', 'VmRSS')).toBeNull();
  });

  it('reads the parent pid after a command name holding spaces and parentheses', () => {
    expect(parentPid('4242 (node) S 17 4242 4242 0 -1')).toBe(17);
    expect(parentPid('99 (a (weird) name) R 1 99 99 0 -1')).toBe(1);
    expect(parentPid('garbage')).toBeNull();
  });

  it('walks a cluster primary and its workers, not its siblings', () => {
    const parents = new Map([
      [10, 1],
      [11, 10],
      [12, 10],
      [13, 11],
      [20, 1],
    ]);
    expect(processTree(10, parents)).toEqual([10, 11, 12, 13]);
    expect(processTree(20, parents)).toEqual([20]);
  });

  it('measures this very process (a real /proc read) and judges it against the per-process target', () => {
    const t = treeMemory(process.pid);
    expect(t.processes[0].pid).toBe(process.pid);
    expect(t.processes[0].rssMb).toBeGreaterThan(10);
    expect(t.processes[0].peakRssMb).toBeGreaterThanOrEqual(t.processes[0].rssMb);
    expect(t.rssMb).toBeGreaterThanOrEqual(t.processes[0].rssMb);
    expect(withinRssTarget(t, 1e9)).toBe(true);
    expect(withinRssTarget(t, 1)).toBe(false);
    expect(describeTreeMemory('jest', t)).toContain(`pid ${process.pid}`);
  });

  it('reports a process that is gone as not running, never as within the target', () => {
    const t = treeMemory(undefined);
    expect(t).toEqual({ processes: [], rssMb: 0, peakRssMb: 0 });
    expect(withinRssTarget(t)).toBe(false);
    expect(describeTreeMemory('worker', t)).toBe('worker: not running');
  });
});

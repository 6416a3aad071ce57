/** Minimal structured logger shared by the processes (one JSON line per record). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class Log {
  constructor(
    private readonly component: string,
    private readonly level: LogLevel = (process.env.LOG_LEVEL as LogLevel) || 'info',
  ) {}

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (order[level] < order[this.level]) return;
    const line = JSON.stringify({
      t: new Date().toISOString(),
      level,
      component: this.component,
      msg,
      ...fields,
    });
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line + '\n');
  }
  debug(msg: string, f?: Record<string, unknown>) {
    this.write('debug', msg, f);
  }
  info(msg: string, f?: Record<string, unknown>) {
    this.write('info', msg, f);
  }
  warn(msg: string, f?: Record<string, unknown>) {
    this.write('warn', msg, f);
  }
  error(msg: string, f?: Record<string, unknown>) {
    this.write('error', msg, f);
  }
}

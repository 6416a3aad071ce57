/** The subset of Nest's `Logger` the messaging code uses, so a Nest Logger can be passed in. */
export interface MessagingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/**
 * Console logger with a context prefix (the default when none is given). It honours LOG_LEVEL
 * (validated by @debut/config; read here as @debut/config's Log does, so the messaging library
 * needs no config object): at `warn`, as the tests run, the per-consumer INFO lines are dropped
 * and a failure's report is not buried under them.
 */
export function consoleLogger(
  context = 'messaging',
  level: string = process.env.LOG_LEVEL ?? 'info',
): MessagingLogger {
  const threshold = LEVELS[level as keyof typeof LEVELS] ?? LEVELS.info;
  const stamp = (tag: string, message: string) =>
    `${new Date().toISOString()} ${tag} [${context}] ${message}`;
  const at = (l: keyof typeof LEVELS, write: (m: string) => void) =>
    LEVELS[l] >= threshold ? write : () => undefined;
  return {
    log: at('info', (m) => console.log(stamp('INFO', m))),
    warn: at('warn', (m) => console.warn(stamp('WARN', m))),
    error: at('error', (m) => console.error(stamp('ERROR', m))),
  };
}

/** Swallows everything (tests). */
export const silentLogger: MessagingLogger = { log: () => {}, warn: () => {}, error: () => {} };

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The subset of Nest's `Logger` the messaging code uses, so a Nest Logger can be passed in. */
export interface MessagingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** Console logger with a context prefix (the default when none is given). */
export function consoleLogger(context = 'messaging'): MessagingLogger {
  const stamp = (level: string, message: string) =>
    `${new Date().toISOString()} ${level} [${context}] ${message}`;
  return {
    log: (m) => console.log(stamp('INFO', m)),
    warn: (m) => console.warn(stamp('WARN', m)),
    error: (m) => console.error(stamp('ERROR', m)),
  };
}

/** Swallows everything (tests). */
export const silentLogger: MessagingLogger = { log: () => {}, warn: () => {}, error: () => {} };

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

import * as fs from 'node:fs';

/** Writes and fsyncs, so that a crash after a save's rename never finds a half-written file. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else for (let off = 0; off < data.byteLength;) off += fs.writeSync(fd, data, off, data.byteLength - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function fsyncDir(dir: string): void {
  try {
    fsyncFile(dir);
  } catch {
    // some filesystems do not support fsync on directories
  }
}

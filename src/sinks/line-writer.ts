/**
 * @module sinks/line-writer
 * Buffers text lines and writes them to a stream in large chunks, waiting for drain so a slow
 * reader bounds our memory instead of growing it. A closed pipe (`| head`) stops output quietly.
 */
import type { Writable } from 'node:stream';

const CHUNK = 64 * 1024;

export class LineWriter {
  private parts: string[] = [];
  private size = 0;
  private closed = false;
  private pending: Promise<void> | null = null;

  constructor(private readonly out: Writable) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
      else throw err;
    });
  }

  /** True once the reader went away. */
  get isClosed(): boolean {
    return this.closed;
  }

  line(text: string): void {
    if (this.closed) return;
    this.parts.push(text);
    this.size += text.length + 1;
    if (this.size >= CHUNK) this.write();
  }

  /** Resolves when the stream has room again; producers that can pause should await it. */
  async ready(): Promise<void> {
    if (this.pending) await this.pending;
  }

  async flush(): Promise<void> {
    this.write();
    await this.ready();
  }

  private write(): void {
    if (this.parts.length === 0 || this.closed) return;
    const text = this.parts.join('\n') + '\n';
    this.parts = [];
    this.size = 0;
    if (!this.out.write(text) && !this.pending) {
      this.pending = new Promise((resolve) => {
        const done = (): void => {
          this.pending = null;
          resolve();
        };
        this.out.once('drain', done);
        this.out.once('close', done);
      });
    }
  }
}

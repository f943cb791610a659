/**
 * @module capture/pcap/errors
 * The one error type capture replay raises: it names the file, says what was wrong and, where
 * there is one, how to fix it. Damaged packets inside a readable file never raise it: they are
 * counted and skipped.
 */

export type CaptureErrorCode =
  /** The path does not exist. */
  | 'not-found'
  /** The path exists but cannot be read (permissions, a directory, an I/O error). */
  | 'unreadable'
  /** The first bytes are neither a pcap nor a pcapng magic number. */
  | 'not-a-capture'
  /** The file ends in the middle of a header or record; every packet before it was delivered. */
  | 'truncated'
  /** The structure is inconsistent (a block length that cannot be right); packets before it were delivered. */
  | 'malformed'
  /** No packet of the file uses a link type flowscope decodes. */
  | 'unsupported-link-type';

export class CaptureError extends Error {
  override readonly name = 'CaptureError';

  constructor(
    readonly code: CaptureErrorCode,
    /** The file as the caller named it. */
    readonly file: string,
    message: string,
    /** Byte offset in the file where the problem starts, when there is one. */
    readonly offset: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

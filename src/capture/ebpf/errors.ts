/**
 * @module capture/ebpf/errors
 * Typed errors of live capture. "The host lacks X" is its own type, naming the capability and the
 * fix, so callers (and live tests) can tell an unsupported host from a bug.
 */

/** Any failure of the eBPF capture path. Messages start with a short verb-object prefix. */
export class CaptureError extends Error {
  override name = 'CaptureError';
}

/** The host lacks something live capture needs. `capability` names it; `fix` says what to do. */
export class NotSupportedError extends CaptureError {
  override name = 'NotSupportedError';
  constructor(
    readonly capability: string,
    readonly fix: string,
    detail?: string,
  ) {
    super(`${capability} is not available${detail ? ` (${detail})` : ''}: ${fix}`);
  }
}

/** The kernel refused the programs (verifier, BTF/CO-RE relocation). `log` holds libbpf's tail. */
export class LoadError extends CaptureError {
  override name = 'LoadError';
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(log ? `${message}\n--- libbpf/verifier log (tail) ---\n${log}` : message);
  }
}

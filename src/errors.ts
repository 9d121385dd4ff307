/**
 * Typed errors and the one exit-code table (design.md "Exit codes"; README "Exit codes").
 * Only `cli/main.ts` catches, renders and sets `process.exitCode`.
 */

/** Process exit codes. Keep in step with README.md and docs/architecture.md. */
export const ExitCode = {
  /** Everything succeeded. */
  Ok: 0,
  /** A bug in irctl. */
  Internal: 1,
  /** Bad flags or arguments. */
  Usage: 2,
  /** Invalid context.yaml or settings. */
  Config: 3,
  /** Credentials, permission, throttled out, network. */
  SourceAccess: 4,
  /** Hash, signature or custody-chain mismatch. */
  Integrity: 5,
  /** Completed, but some input was quarantined or some part failed: the summary says what. */
  Partial: 6,
  /** A bundle is intact, but its signer is not authenticated: no pinned (`--key`), trusted or case key signed it. */
  NotAuthenticated: 9,
  /** Interrupted (Ctrl-C) after saving what was collected. */
  Interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Who must act on an error. */
export type ErrorSource = 'user' | 'environment' | 'internal';

/** Base class of every error irctl raises on purpose. */
export class IrctlError extends Error {
  /** Exit code the CLI uses when this error ends the run. */
  readonly exitCode: ExitCodeValue;
  /** Who must act. */
  readonly source: ErrorSource;
  /** What to do next, shown under the message. */
  readonly hint: string | undefined;

  constructor(
    message: string,
    opts: { exitCode: ExitCodeValue; source: ErrorSource; hint?: string | undefined; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode;
    this.source = opts.source;
    this.hint = opts.hint;
  }
}

/** Bad flags or arguments (exit 2). */
export class UsageError extends IrctlError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.Usage, source: 'user', ...opts });
  }
}

/** Invalid configuration such as context.yaml (exit 3). */
export class ConfigError extends IrctlError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.Config, source: 'user', ...opts });
  }
}

/** Cannot reach or read a source: credentials, permission, throttling, network, unreadable file (exit 4). */
export class SourceAccessError extends IrctlError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.SourceAccess, source: 'environment', ...opts });
  }
}

/** Evidence does not match its hashes, signature or custody chain (exit 5). */
export class IntegrityError extends IrctlError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.Integrity, source: 'environment', ...opts });
  }
}

/** A bug (exit 1). */
export class InternalError extends IrctlError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.Internal, source: 'internal', ...opts });
  }
}

/** Raised when the operator interrupts (Ctrl-C); what was saved stays saved (exit 130). */
export class InterruptedError extends IrctlError {
  constructor(message = 'interrupted', opts: { hint?: string } = {}) {
    super(message, { exitCode: ExitCode.Interrupted, source: 'user', ...opts });
  }
}

/** Type guard for irctl's own errors. */
export function isIrctlError(e: unknown): e is IrctlError {
  return e instanceof IrctlError;
}

/** Message of any thrown value, without assuming it is an Error. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Node system error code (ENOENT, EACCES, ...) if the value carries one. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

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
  /** Another irctl command holds the case's writer lock (or SQLite reports the store busy). */
  CaseInUse: 7,
  /** Local storage failed: disk full, permission denied or read-only file system on the case or an output file. */
  LocalStorage: 8,
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

/** The case is locked by another irctl command, or its store is busy (exit 7). */
export class CaseInUseError extends IrctlError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.CaseInUse, source: 'environment', ...opts });
  }
}

/** Disk full, permission denied or a read-only file system while writing the case or an output file (exit 8). */
export class LocalStorageError extends IrctlError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.LocalStorage, source: 'environment', ...opts });
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

/** Errno codes (Node) and SQLite result codes that mean the disk is full. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'SQLITE_FULL']);
/** ... that mean the file or folder may not be written. */
const DENIED = new Set(['EACCES', 'EPERM', 'EROFS', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_PERM', 'SQLITE_AUTH']);

/**
 * Turn a failure of local storage (anywhere in the cause chain: errors are often wrapped) into the error the CLI
 * reports: SQLite busy or locked is "case in use" (exit 7); disk full, permission denied, a read-only file system or
 * an I/O error of SQLite is "local storage" (exit 8). Anything else gives undefined. `what` names the file or store
 * when the error itself does not (SQLite errors carry no path).
 */
export function localStorageError(err: unknown, what = 'the evidence store'): IrctlError | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = errnoCode(e);
    if (code === undefined) continue;
    const path = typeof (e as { path?: unknown }).path === 'string' ? ((e as { path: string }).path) : what;
    const detail = errorMessage(e);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new CaseInUseError(`case in use: ${what} is locked by another program (${detail})`, {
        hint: 'Another program (for example the sqlite3 shell, or an irctl older than the case lock) has the store open for writing: let it finish, then run again.',
        cause: err,
      });
    }
    if (FULL.has(code)) {
      return new LocalStorageError(`local storage: disk full writing ${path} (${detail})`, {
        hint: 'Free space on that file system (or write to another one) and run the same command again; what was committed before the failure is kept and the case stays consistent.',
        cause: err,
      });
    }
    if (DENIED.has(code)) {
      return new LocalStorageError(`local storage: cannot write ${path}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'} (${detail})`, {
        hint: 'Check the ownership, mode and mount options of that path (or choose another output path), then run again.',
        cause: err,
      });
    }
    if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
      return new LocalStorageError(`local storage: I/O error on ${path} (${detail})`, {
        hint: 'Check the disk and the file system (dmesg), then run `irctl case verify`.',
        cause: err,
      });
    }
  }
  return undefined;
}

/**
 * A failed write into the case: read-only media (EROFS, or EPERM of a `chattr +i` file or folder) is a configuration
 * matter, "the case is read-only" (exit 3: reading commands still work); anything else goes through
 * {@link localStorageError} (exit 8) or stays as it is.
 */
export function caseWriteError(err: unknown, path: string): Error {
  const code = errnoCode(err);
  if (code === 'EROFS' || code === 'EPERM') {
    return new ConfigError(`the case is read-only: ${path} cannot be written (${code === 'EROFS' ? 'read-only file system' : 'not permitted: immutable?'})`, {
      hint: 'Reading commands (events, threats, timeline, case info, case verify, report) work on a read-only case; copy the case to writable storage to change it.',
      cause: err,
    });
  }
  return localStorageError(err, path) ?? (err instanceof Error ? err : new Error(String(err)));
}

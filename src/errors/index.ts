/**
 * Errors are data: a literal `code` callers branch on, a `data` object, and a whole-sentence
 * message that says what to do next. The CLI maps codes to exit codes in one place.
 */
export type ErrorCode =
  | 'BAD_INPUT' // a bad argument or a bad file: exit 2
  | 'INVALID_NAME'
  | 'INVALID_VERSION'
  | 'INVALID_URI'
  | 'INVALID_FILE' // a registry file that does not parse or validate
  | 'INVALID_POLICY'
  | 'VERSION_EXISTS'
  | 'NO_IDENTITY'
  | 'UNSUPPORTED'
  | 'UNSUPPORTED_REPOSITORY' // a repository format modelreg cannot read (SHA-256, reftable, partial clone): exit 2
  | 'DENIED' // policy said no: exit 1
  | 'CHECK_FAILED'
  | 'INTEGRITY' // digest or size mismatch: exit 1
  | 'CONFLICT' // ref moved, push rejected after retries, lock held: exit 3
  | 'DIRTY'
  | 'LOCKED'
  | 'NOT_FOUND' // exit 4
  | 'NOT_A_REGISTRY'
  | 'IO' // the file system refused: exit 2
  | 'CORRUPT_OBJECT' // a Git object that does not inflate or parse: exit 5
  | 'MISSING_OBJECT'; // a Git object the repository should have and has not: exit 5

export const EXIT_CODES: Record<ErrorCode, number> = {
  BAD_INPUT: 2, INVALID_NAME: 2, INVALID_VERSION: 2, INVALID_URI: 2, INVALID_FILE: 2, INVALID_POLICY: 2,
  VERSION_EXISTS: 2, NO_IDENTITY: 2, UNSUPPORTED: 2, UNSUPPORTED_REPOSITORY: 2, IO: 2,
  DENIED: 1, CHECK_FAILED: 1, INTEGRITY: 1,
  CONFLICT: 3, DIRTY: 3, LOCKED: 3,
  NOT_FOUND: 4, NOT_A_REGISTRY: 4,
  CORRUPT_OBJECT: 5, MISSING_OBJECT: 5,
};

export class RegistryError<D extends Record<string, unknown> = Record<string, unknown>> extends Error {
  readonly code: ErrorCode;
  readonly data: D;
  constructor(code: ErrorCode, message: string, data: D = {} as D, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryError';
    this.code = code;
    this.data = data;
  }
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
  toJSON() {
    return { code: this.code, message: this.message, data: this.data };
  }
}

export function isRegistryError(e: unknown, code?: ErrorCode): e is RegistryError {
  return e instanceof RegistryError && (code === undefined || e.code === code);
}

/** Bad input to the vector index: wrong dimension, non-finite values, bad ids or k. */
export class IndexInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexInputError';
  }
}

/** The faiss-node native addon cannot be loaded (not built on this machine). */
export class IndexUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexUnavailableError';
  }
}

/** A saved index directory is missing, corrupt or inconsistent. */
export class IndexFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexFormatError';
  }
}

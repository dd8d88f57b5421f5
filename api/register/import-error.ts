/**
 * The error a register extract can cause, apart from the file code so that the routes (which run
 * in Node and in a Worker) can recognize it without loading the Node-only reader.
 */

export interface ImportIssue {
  /** 1-based data row (the header is not counted); absent for problems with a column as a whole. */
  row?: number;
  column: string;
  message: string;
}

/** Masks anything shaped like a CPR number (DDMMYYSSSS or DDMMYY-SSSS) in a message. */
export function redactCpr(text: string): string {
  return text.replace(/(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])/g, "[CPR]");
}

/** An extract that cannot be imported. Messages never contain a CPR number: CPR-shaped text is masked. */
export class RegisterImportError extends Error {
  readonly issues: ImportIssue[];
  constructor(message: string, rawIssues: ImportIssue[]) {
    const issues = rawIssues.map((i) => ({ ...i, column: redactCpr(i.column), message: redactCpr(i.message) }));
    message = redactCpr(message);
    const shown = issues.slice(0, 5).map((i) => `${i.row !== undefined ? `row ${i.row}, ` : ""}column ${JSON.stringify(i.column)}: ${i.message}`);
    super(`${message}${shown.length ? `: ${shown.join("; ")}` : ""}`);
    this.name = "RegisterImportError";
    this.issues = issues;
  }
}

import type { Response } from 'express';
import type { z } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Zod issues as the fields a client must fix. Unknown keys come from zod as one issue
 * on the parent object; each key is named here so the client sees which field to drop.
 */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: 'is not a known field' }));
    }
    return [{ field: at.join('.'), message: issue.message }];
  });
}

/** The body of a 400 answer: one readable sentence, and the fields one by one. */
export function badRequestBody(what: string, error: z.ZodError): { error: string; fields: FieldError[] } {
  const fields = fieldErrors(error);
  return { error: `invalid ${what}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields };
}

/** Parses a query or body; on failure answers 400 naming the fields and returns undefined. */
export function parseOr400<T>(schema: z.ZodType<T>, input: unknown, what: 'query' | 'body', res: Response): T | undefined {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  res.status(400).json(badRequestBody(what, parsed.error));
  return undefined;
}

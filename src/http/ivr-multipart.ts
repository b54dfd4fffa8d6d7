import express, { type RequestHandler } from 'express';

/**
 * `<submit enctype="multipart/form-data">` is legal VoiceXML (2.0 §5.3.8), so a platform
 * may post any step that way. Express reads only urlencoded forms; this reads multipart
 * ones into the same shape (req.body: name -> value, or values when repeated), so
 * ivrParam finds the values wherever they came from.
 *
 * Only text fields: the IVR sends a few short values and never a recording to us, so a
 * part with a filename is refused (HTTP 400 to the error handler, which hands the call
 * back). The limits are those of the urlencoded reader: `limit` bytes, `maxFields` fields.
 *
 * Parsing is Node's own (the WHATWG fetch Response.formData of undici, built in since
 * Node 18): no dependency, and a parser many more requests have tested than ours would.
 */
export function multipartForm(options: { limit: string; maxFields: number }): RequestHandler[] {
  const raw = express.raw({ type: 'multipart/form-data', limit: options.limit });
  const parse: RequestHandler = (req, _res, next) => {
    // No body at all (a submit with an empty namelist may send none): no fields.
    if (!Buffer.isBuffer(req.body)) {
      next();
      return;
    }
    if (req.body.length === 0) {
      req.body = {};
      next();
      return;
    }
    const body = req.body;
    const contentType = req.headers['content-type'] ?? '';
    formFields(body, contentType, options.maxFields).then(
      (fields) => {
        req.body = fields;
        next();
      },
      (err: Error) => next(err),
    );
  };
  return [raw, parse];
}

/** A client error the IVR routes answer with the hand-back document (status < 500). */
class BadFormError extends Error {
  readonly status = 400;
  readonly expose = true;
}

async function formFields(body: Buffer, contentType: string, maxFields: number): Promise<Record<string, string | string[]>> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new BadFormError('malformed multipart/form-data body');
  }
  // Null prototype: a field named __proto__ or constructor is only a field.
  const fields = Object.create(null) as Record<string, string | string[]>;
  let count = 0;
  for (const [name, value] of form.entries()) {
    count += 1;
    if (count > maxFields) throw new BadFormError(`more than ${maxFields} form fields`);
    if (typeof value !== 'string') throw new BadFormError(`form field "${name.slice(0, 64)}" is a file; only text fields are read`);
    const before = fields[name];
    fields[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return fields;
}

import type { RequestHandler } from 'express';
import multer from 'multer';
import { BadRequestError } from '../errors';

// The same bounds as the urlencoded parser: 100 fields of at most 64 KiB, and no files.
const parseFields = multer({
  limits: { fields: 100, fieldSize: 64 * 1024, fieldNameSize: 200, files: 0, parts: 100 },
}).none();

/**
 * Flower reads every control parameter from the query string or the form body, and Tornado parses
 * multipart/form-data bodies as well as urlencoded ones. This takes the text fields of a multipart
 * body into req.body (other content types pass untouched) and answers a malformed one, a file part or
 * a body over the limits with 400.
 */
export const multipartFields: RequestHandler = (req, res, next) => {
  parseFields(req, res, (error?: unknown) => {
    if (error === undefined || error === null) {
      next();
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    next(new BadRequestError(`Unreadable multipart/form-data body: ${reason}`));
  });
};

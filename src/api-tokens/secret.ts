import { createHash, randomBytes } from 'node:crypto';

/**
 * A token's secret: `ivrd_` and 32 random bytes in base64url (43 characters). The prefix
 * makes a leaked secret recognisable to secret scanners and to people, as GitHub does with
 * its `ghp_` tokens ("Behind GitHub's new authentication token formats",
 * https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/); the
 * `_` keeps a double click selecting the whole token. A scanner may match
 * /\bivrd_[A-Za-z0-9_-]{43}\b/.
 *
 * 256 random bits need no slow hash (unlike a password, nothing about them can be guessed),
 * so the store keeps their plain SHA-256: a copy of the database gives no usable token.
 */

export const SECRET_PREFIX = 'ivrd_';
export const SECRET_SHAPE = /^ivrd_[A-Za-z0-9_-]{43}$/;

export const newSecret = (): string => SECRET_PREFIX + randomBytes(32).toString('base64url');

/** What the store keeps and looks a presented secret up by (hex SHA-256). */
export const secretHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SemcacheError } from './errors.js';

/** A 256-bit key: 32 bytes, or a string of them in base64 or hex. */
export type EncryptionKey = Uint8Array | string;

/**
 * Encryption at rest. The first key encrypts new entries; every key listed decrypts, so keys can
 * be rotated by putting the new key first and keeping the old ones until their entries expire.
 */
export interface EncryptionOptions {
  key: EncryptionKey | readonly EncryptionKey[];
}

/** Encrypts and decrypts stored payloads. */
export interface EntryCipher {
  encrypt(plaintext: string): string;
  /** @throws {SemcacheError} `CORRUPT_ENTRY` for tampered, foreign or unencrypted payloads. */
  decrypt(payload: string): string;
}

interface Sealed {
  e: 1;
  k: string;
  i: string;
  t: string;
  c: string;
}

/**
 * AES-256-GCM with a random 96-bit IV per entry; the envelope names the key id (the first 8 hex
 * digits of the key's SHA-256, never the key), so entries written before a rotation stay readable.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` when a key is not 32 bytes.
 */
export function createEntryCipher(options: EncryptionOptions): EntryCipher {
  const keys = (Array.isArray(options.key) ? options.key : [options.key]).map(toKeyBytes);
  if (keys.length === 0) {
    throw new SemcacheError('INVALID_OPTIONS', 'encryption.key needs at least one 32-byte key.');
  }
  const byId = new Map(keys.map((key) => [keyId(key), key]));
  const current = keys[0] as Buffer;
  const currentId = keyId(current);
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed: Sealed = {
        e: 1,
        k: currentId,
        i: iv.toString('base64'),
        t: cipher.getAuthTag().toString('base64'),
        c: ciphertext.toString('base64'),
      };
      return JSON.stringify(sealed);
    },
    decrypt(payload) {
      let sealed: Partial<Sealed>;
      try {
        sealed = JSON.parse(payload) as Partial<Sealed>;
      } catch (cause) {
        throw new SemcacheError('CORRUPT_ENTRY', 'Encrypted entry is not valid JSON.', { cause });
      }
      if (
        sealed?.e !== 1 ||
        typeof sealed.k !== 'string' ||
        typeof sealed.i !== 'string' ||
        typeof sealed.t !== 'string' ||
        typeof sealed.c !== 'string'
      ) {
        throw new SemcacheError(
          'CORRUPT_ENTRY',
          'Entry is not encrypted although encryption is on; it is ignored.',
        );
      }
      const key = byId.get(sealed.k);
      if (!key) {
        throw new SemcacheError(
          'CORRUPT_ENTRY',
          `Entry was encrypted with key id ${sealed.k}, which is not configured; add the old key to encryption.key to read it.`,
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.i, 'base64'));
        decipher.setAuthTag(Buffer.from(sealed.t, 'base64'));
        return Buffer.concat([
          decipher.update(Buffer.from(sealed.c, 'base64')),
          decipher.final(),
        ]).toString('utf8');
      } catch (cause) {
        throw new SemcacheError(
          'CORRUPT_ENTRY',
          'Encrypted entry failed authentication (tampered or truncated).',
          { cause },
        );
      }
    },
  };
}

function toKeyBytes(key: EncryptionKey): Buffer {
  let bytes: Buffer;
  if (typeof key === 'string') {
    bytes = /^[0-9a-f]{64}$/iu.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
  } else {
    bytes = Buffer.from(key);
  }
  if (bytes.length !== 32) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `encryption.key must be 32 bytes (AES-256), as bytes or a base64/hex string; got ${bytes.length} bytes. Generate one with: node -e "console.log(crypto.randomBytes(32).toString('base64'))"`,
    );
  }
  return bytes;
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

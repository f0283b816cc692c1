// Static bearer tokens (--token-auth-file), upstream's CSV: token,user,uid,"group1,group2".
// A malformed line stops the server with its line number rather than being half-read.
import { readFileSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AuthnResult, TokenAuthenticator, UserInfo } from './types.js';

/** Splits one CSV line, honouring "quoted, fields". */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  if (quoted) throw new Error('unterminated quote');
  out.push(cur);
  return out.map((f) => f.trim());
}

export function parseTokenFile(text: string, source = 'token file'): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let f: string[];
    try { f = csvFields(line); } catch (err) { throw new Error(`${source}:${i + 1}: ${(err as Error).message}`); }
    const [token, username, uid, groups] = f;
    if (!token || !username || f.length < 3) throw new Error(`${source}:${i + 1}: want token,user,uid[,"group1,group2"], got ${f.length} field(s)`);
    if (tokens.has(token)) throw new Error(`${source}:${i + 1}: duplicate token`);
    tokens.set(token, { username, uid: uid || undefined, groups: (groups ?? '').split(',').map((g) => g.trim()).filter(Boolean) });
  });
  return tokens;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class TokenFileAuthenticator implements TokenAuthenticator {
  readonly name = 'token-file';
  private readonly byDigest: Array<[Buffer, UserInfo]>;

  constructor(tokens: Map<string, UserInfo>) {
    this.byDigest = [...tokens].map(([t, u]) => [digest(t), u]);
  }

  static fromFile(file: string): TokenFileAuthenticator {
    return new TokenFileAuthenticator(parseTokenFile(readFileSync(file, 'utf8'), file));
  }

  /** Constant-time comparison on digests, so the token's length and prefix don't leak. */
  authenticateToken(token: string): AuthnResult {
    const d = digest(token);
    for (const [known, user] of this.byDigest) if (timingSafeEqual(known, d)) return { user, via: this.name };
    return undefined;
  }
}

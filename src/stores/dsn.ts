// One redaction for every DSN that reaches a message, whatever the backend.
//
// Passwords are often pasted unencoded, so "/", "#", "?" or "@" may sit inside
// them, where a URL parser would end the userinfo early and leave the rest of
// the secret in plain sight. We therefore treat everything up to the *last*
// "@" as userinfo: a DSN whose query holds an "@" loses its host from the
// message too, and that is the right side to err on.
import { InvalidArgumentError } from '../core/errors.js';

/** The DSN with its password (userinfo and `password=`/`pass=`/`auth=` options) replaced by `***`. */
export function redactDsn(dsn: string): string {
  let out = dsn;
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(out);
  if (scheme) {
    const rest = out.slice(scheme[1]!.length);
    const at = rest.lastIndexOf('@');
    if (at !== -1) {
      const userinfo = rest.slice(0, at);
      const colon = userinfo.indexOf(':');
      const user = colon === -1 ? '' : userinfo.slice(0, colon);
      // A user name never holds "/", "?" or "#": if it seems to, the whole thing is secret.
      const shown = colon === -1 || /[/?#]/.test(user) ? '***' : `${user}:***`;
      out = `${scheme[1]}${shown}@${rest.slice(at + 1)}`;
    }
  }
  return out.replace(/([?&;](?:password|pass|passwd|pwd|auth)=)[^&#;]*/gi, '$1***');
}

/** decodeURIComponent, with an InvalidArgumentError naming the (redacted) DSN on bad encoding. */
export function decodeDsnPart(text: string, dsn: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidArgumentError(`Invalid store DSN "${redactDsn(dsn)}": bad percent-encoding.`);
  }
}

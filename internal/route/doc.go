// Package route turns raw request paths into route templates and keeps the
// number of distinct routes of a service bounded.
//
// SLIs are grouped by route, so a path such as
// /api/users/12345/orders/9f8e7d6c-1b2a-4c3d-8e9f-0a1b2c3d4e5f must become
// /api/users/:id/orders/:id, and a service must never explode into millions of
// routes. Two pieces cooperate on the hot path:
//
//   - [Templater] maps a raw path to a template, using user [Rule]s first and
//     the automatic rules below otherwise.
//   - [Registry] assigns small, dense, stable ids to the templates of one
//     service, up to a cap; templates past the cap map to [Other].
//
// # Normalisation
//
// Before any rule runs, Template
//
//   - drops everything from the first '?' or '#' (query string, fragment);
//   - returns "-" for an empty path (a request without a route);
//   - reduces an absolute-form target (scheme "://" authority path, e.g.
//     http://example.com/x) to its path, or to "/" when it has none.
//
// User rules then see that path, as is. The automatic rules apply to what no
// user rule matched:
//
//   - "*" (the target of OPTIONS *) stays "*";
//   - any other path that does not start with '/' (authority-form CONNECT
//     targets, garbage, binary) becomes "-";
//   - the path is split on '/'; empty segments are dropped, so repeated
//     slashes collapse and a path of only slashes becomes "/";
//   - a trailing slash is kept: /a/ stays /a/;
//   - each segment is kept as is, or replaced by ":id" (see below);
//   - invalid UTF-8 bytes are replaced, one for one, by U+FFFD;
//   - the result is truncated to [MaxLen] bytes (see Truncation).
//
// Segments are not percent-decoded, lower-cased or resolved ("." and ".."
// stay literal).
//
// # Identifier segments
//
// A segment becomes ":id" when it is any of:
//
//  1. all ASCII digits: 42, 2024, 0001;
//  2. a UUID: 8-4-4-4-12 hex digits separated by '-', any case;
//  3. only hex digits (any case), at least 8 long and with at least one
//     decimal digit: commit SHAs, Mongo ObjectIDs, cafe0123 (but deadbeef, with
//     no digit, stays);
//  4. a prefixed number: one or more ASCII letters, then '-' or '_', then at
//     least 3 digits: user_123, item-98765 (but page-2 stays);
//  5. a long token: at least 16 characters, all from [A-Za-z0-9] and -_.~+=,
//     with at least one alphanumeric run (a maximal stretch of letters and
//     digits) of at least 8 characters that holds both a letter and a digit:
//     base62/base64url ids, JWTs, session tokens, iphone15-pro-max. A slug
//     whose words are each all letters or all digits, like 2024-summer-sale,
//     stays;
//  6. any segment of at least 32 characters that holds an ASCII digit,
//     whatever its other characters (characters are counted as runes, each
//     invalid UTF-8 byte counting as one).
//
// Everything else stays literal, notably short letter+digit words such as
// v1, v2, s3, ec2, x1000 (rule 5 needs 16 characters), file names such as
// app.js, and slugs without a mixed word.
//
// A segment that ends in a file extension — a '.' followed by 1 to 8 ASCII
// letters or digits, at least one a letter — and whose part before the '.'
// (non-empty) is an identifier by the rules above becomes ":id" followed by the
// extension: 12345.json → :id.json, 9f8e7d6c5b4a.png → :id.png. Otherwise the
// whole segment is tested: app.js stays, v1.2 stays.
//
// # Truncation
//
// A template longer than [MaxLen] bytes is cut at the last '/' (other than the
// leading one) that leaves room for an ellipsis, and "…" is appended:
// /a/b/<300 bytes> becomes /a/b/…. When the first segment alone is too long it
// is cut at a rune boundary instead. The result is at most MaxLen bytes,
// ellipsis included.
//
// # Idempotence
//
// Without user rules, templating a template yields the template itself:
// ":id" and ":id.ext" are never identifiers, the replacement of invalid bytes
// keeps the rune count that rule 6 looks at, and a truncated template is never
// longer than MaxLen. Outputs of user rules are taken verbatim (made valid
// UTF-8 and truncated) and carry no such guarantee.
package route

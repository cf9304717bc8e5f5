// Package accounts keeps the hub's local user accounts: argon2id password
// hashes (RFC 9106), a password policy (length, character classes, expiry),
// lockout after repeated failures, a TOTP second factor (RFC 6238, required
// for the administrative roles), login sessions with an idle timeout, and
// the three separate administrators of 三员分立 (GB/T 22239 等保 2.0):
// system, security and audit administrator.
//
// # Separation of duties
//
// An account holds at most one administrative role (AdminRole). The system
// administrator creates and disables accounts and registers clients but
// cannot assign roles; the security administrator assigns roles and
// permissions, sets policy and unlocks accounts but cannot create accounts
// or touch the audit trail; the audit administrator reads and purges the
// audit trail and nothing else. No single account can therefore both manage
// users and read or purge the audit trail, and no account can give itself
// another administrative role (Privileges, CanAssignAdmin).
//
// # Storage
//
// Users and sessions are JSON records in store.AuthRecords (kinds "user",
// "session"), updated by compare-and-swap, so two hub processes on one
// PostgreSQL database count failures and lock accounts consistently.
package accounts

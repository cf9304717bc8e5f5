// Package auth is the hub's access control as the rest of the server sees
// it: the Principal a request acts for, the echo middleware that turns a
// bearer token into a Principal, and Check, which the FHIR layer calls for
// every interaction, search result, include and transaction entry.
//
// # Packages
//
//	server/auth             Principal, Middleware, Check, development mode
//	server/auth/scope       SMART v1/v2 scopes → permissions (+ v2 query restrictions)
//	server/auth/smart       the authorization server: SMART App Launch 2.x, Backend Services, admin API
//	server/auth/accounts    users: argon2id, policy, lockout, TOTP, sessions, 三员分立
//	server/auth/roles       permissions (types × interactions × institution scope), delegation
//	server/auth/institution the Organization hierarchy and what each caller may see
//
// # Storage
//
// The authorization server's state lives in the hub's own database, in a
// table of versioned JSON records (store.AuthRecords, migration
// 0040_auth.sql), not as FHIR resources: refresh-token rotation, lockout
// counters and single-use codes need compare-and-swap on one row, which the
// FHIR API (If-Match on a whole resource, with history kept forever) would
// turn into a growing history of secrets (password hashes, TOTP seeds)
// readable through _history. Identity that is clinical — who a user is as a
// Practitioner, which Organization an institution is — stays in FHIR and is
// referenced (User.FHIRUser, the institution id = Organization id).
//
// # Decision order
//
// A request is allowed when all of these say yes: the token's scopes
// (Check), the user's roles (for user principals: roles.Grants at type
// level, roles.Allows per resource with the institution from its store
// meta.tag; set by the hub in SMART mode, so a user without a role reaches
// no FHIR data) and the institution visibility (institution.Directory →
// store.Visibility, applied by the store's query layer to every read). A
// patient-context token additionally limits every resource to that
// patient's compartment.
//
// # Wiring
//
// The server mounts Middleware on /fhir, /dicomweb, /ingest, /ecg and
// /admin (server/security_http.go); server/fhirapi asks Checker.Decide
// before it touches the store and Checker.CheckResource for every resource
// it returns or writes (server/fhirapi/access.go).
package auth

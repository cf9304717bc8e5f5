// Package smart is the hub's built-in authorization server: SMART App
// Launch 2.x (authorization code with PKCE S256, required; EHR launch with a
// launch parameter and standalone launch with a patient picker), SMART
// Backend Services (client_credentials with private_key_jwt, RFC 7523),
// rotating refresh tokens with reuse detection, revocation (RFC 7009),
// introspection (RFC 7662), a JWKS endpoint and an admin API for users and
// clients. Access and id tokens are JWTs (RS256) signed with a key the
// server generates on first start and keeps in the data folder.
//
// # Routes
//
//	GET  /fhir/.well-known/smart-configuration
//	GET  /auth/authorize           → login → (TOTP enrolment) → consent/patient picker → redirect with code
//	POST /auth/login, /auth/totp, /auth/password, /auth/consent, /auth/logout
//	POST /auth/token               authorization_code, refresh_token, client_credentials
//	POST /auth/revoke, /auth/introspect
//	GET  /auth/jwks
//	POST /auth/launch              EHR: register a launch context (patient, encounter) → launch id
//	/admin/auth/users, /admin/auth/clients   admin API (system / security administrator tokens)
//
// # State
//
// Everything but the signing keys lives in store.AuthRecords: clients,
// pending authorizations ("authz", 10 minutes), codes (60 s, single use),
// refresh tokens (by SHA-256 of the token, never the token itself), token
// families (reuse of a rotated refresh token revokes the whole family),
// revoked access-token ids, used client-assertion ids (replay), launches.
//
// # Specs
//
// SMART App Launch 2.2.0 (app-launch.html, scopes-and-launch-context.html,
// backend-services.html, conformance.html), RFC 6749, RFC 7636 (PKCE),
// RFC 7523, RFC 7009, RFC 7662, OpenID Connect Core 1.0 (id_token).
package smart

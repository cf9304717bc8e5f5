// Package sqlstore implements the fhir/store contract over SQL once, for the
// SQLite and PostgreSQL engines: both accept the same statements ($1
// placeholders, ON CONFLICT, RETURNING, row values) and differ only in what a
// [Backend] and a [Dialect] provide (connections, locking, error codes).
// It is internal: consumers use fhir/store and the engine packages.
package sqlstore
